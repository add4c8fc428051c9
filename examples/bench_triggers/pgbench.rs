//! pgbench as a child process: where its binary is, how it reaches a benchmark database (the
//! server of `DATABASE_URL`, given as `-h`/`-p`/`-U` and the database name), and what its
//! report says.

use crate::BoxError;
use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where pgbench is looked for after `PATH`: the per-version directories of Debian's and
/// Ubuntu's PostgreSQL packages, which do not put it in `PATH` without `postgresql-common`.
const PACKAGED: &str = "/usr/lib/postgresql";

/// The pgbench binary and how it connects.
pub(crate) struct Pgbench {
    program: PathBuf,
    /// `-h`, `-p` and `-U` of the server.
    connection: Vec<String>,
    /// The URL's password, given to pgbench as `PGPASSWORD` rather than on its command line.
    password: Option<String>,
}

/// What one timed pgbench run reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Report {
    /// `number of transactions actually processed: …`.
    pub(crate) transactions: u64,
    /// `tps = … (without initial connection time)`.
    pub(crate) tps: f64,
}

impl Pgbench {
    /// Finds pgbench (in `PATH`, then in the newest `/usr/lib/postgresql/*/bin`) and the
    /// connection flags of `options`, the server of `url` (`DATABASE_URL`; the `PG*`
    /// variables fill in what it leaves out, as sqlx reads them).
    pub(crate) fn find(options: &PgConnectOptions, url: &str) -> Result<Pgbench, BoxError> {
        let program = locate().ok_or(
            "pgbench not found in PATH or /usr/lib/postgresql/*/bin: install PostgreSQL's \
             server package (Debian: postgresql-15), or leave TPC-B out with --only tables",
        )?;
        let host = match options.get_socket() {
            // libpq takes a socket's directory as the host.
            Some(socket) => socket.to_string_lossy().into_owned(),
            None => options.get_host().to_string(),
        };
        Ok(Pgbench {
            program,
            connection: vec![
                "-h".into(),
                host,
                "-p".into(),
                options.get_port().to_string(),
                "-U".into(),
                options.get_username().to_string(),
            ],
            password: url_password(url),
        })
    }

    /// `pgbench -i -s <scale> -q <database>`: the four TPC-B tables, filled and vacuumed.
    pub(crate) async fn init(&self, database: &str, scale: u32) -> Result<(), BoxError> {
        let args = ["-i", "-s", &scale.to_string(), "-q", database].map(String::from);
        self.output(&args).await.map(drop)
    }

    /// `pgbench -c <clients> -T <seconds> <database>` (the built-in TPC-B script, after
    /// pgbench's own vacuum of the small tables), and what it reported.
    pub(crate) async fn run(
        &self,
        database: &str,
        clients: u32,
        seconds: u32,
    ) -> Result<Report, BoxError> {
        let args = [
            "-c",
            &clients.to_string(),
            "-T",
            &seconds.to_string(),
            database,
        ]
        .map(String::from);
        let stdout = self.output(&args).await?;
        Ok(parse_report(&stdout)?)
    }

    /// Runs pgbench with the connection flags and `args`; its standard output, or an error
    /// quoting what it said went wrong.
    async fn output(&self, args: &[String]) -> Result<String, BoxError> {
        let mut command = Command::new(&self.program);
        command.args(&self.connection).args(args);
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
        let shown = format!("{} {}", self.program.display(), args.join(" "));
        let output = tokio::task::spawn_blocking(move || command.output())
            .await?
            .map_err(|e| format!("cannot run {shown}: {e}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let errors: Vec<&str> = stderr
                .lines()
                .filter(|line| line.starts_with("pgbench: error:"))
                .collect();
            let said = match errors.as_slice() {
                [] => stderr.lines().last().unwrap_or("no message").to_string(),
                lines => lines.join("; "),
            };
            return Err(format!("{shown} failed ({}): {said}", output.status).into());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// pgbench in `PATH`, else in the newest `/usr/lib/postgresql/<version>/bin`.
fn locate() -> Option<PathBuf> {
    let in_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    let mut packaged: Vec<(u32, PathBuf)> = std::fs::read_dir(PACKAGED)
        .map(|dir| {
            dir.filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect()
        })
        .unwrap_or_default();
    packaged.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    in_path
        .into_iter()
        .chain(packaged.into_iter().map(|(_, dir)| dir))
        .map(|dir| dir.join("pgbench"))
        .find(|program| Path::is_file(program))
}

/// The password of a `postgres://user:password@host/…` URL, percent-decoded.
fn url_password(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, encoded) = userinfo.split_once(':')?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        let escaped = (first == b'%')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                bytes.push(byte);
                rest = &tail[2..];
            }
            None => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the transactions and the TPS out of a timed run's report.
pub(crate) fn parse_report(stdout: &str) -> Result<Report, String> {
    let transactions = value_after(stdout, "number of transactions actually processed:")?;
    let tps_line = stdout
        .lines()
        .find(|line| {
            line.starts_with("tps = ") && line.ends_with("(without initial connection time)")
        })
        .ok_or("pgbench printed no `tps = … (without initial connection time)` line")?;
    let tps: f64 = tps_line["tps = ".len()..]
        .split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .filter(|tps: &f64| tps.is_finite() && *tps >= 0.0)
        .ok_or_else(|| format!("cannot read the TPS of pgbench's line `{tps_line}`"))?;
    Ok(Report { transactions, tps })
}

/// The number after `label` on the line that starts with it.
fn value_after(stdout: &str, label: &str) -> Result<u64, String> {
    let line = stdout
        .lines()
        .find(|line| line.starts_with(label))
        .ok_or_else(|| format!("pgbench printed no `{label} …` line"))?;
    line[label.len()..]
        .trim()
        .parse()
        .map_err(|_| format!("cannot read the number of pgbench's line `{line}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard output of `pgbench -c 2 -T 2` (PostgreSQL 15.20) on this project's
    /// development machine.
    const REPORT: &str = "\
pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 2
number of threads: 1
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 2162
number of failed transactions: 0 (0.000%)
latency average = 1.831 ms
initial connection time = 27.174 ms
tps = 1092.549339 (without initial connection time)
";

    #[test]
    fn a_report_gives_its_transactions_and_the_tps_without_connection_time() {
        assert_eq!(
            parse_report(REPORT),
            Ok(Report {
                transactions: 2162,
                tps: 1092.549339
            })
        );
    }

    #[test]
    fn a_report_without_its_tps_line_is_an_error() {
        let cut = REPORT.replace("tps = 1092.549339 (without initial connection time)\n", "");
        assert!(parse_report(&cut).unwrap_err().contains("no `tps = "));
    }

    #[test]
    fn a_malformed_tps_line_is_an_error_quoting_it() {
        for bad in ["tps = fast", "tps = -3", "tps = NaN", "tps ="] {
            let report = REPORT.replace(
                "tps = 1092.549339 (without initial connection time)",
                &format!("{bad} (without initial connection time)"),
            );
            let error = parse_report(&report).unwrap_err();
            assert!(error.contains(bad), "{bad}: {error}");
        }
    }

    #[test]
    fn a_report_without_its_transaction_count_is_an_error() {
        let report = REPORT.replace("actually processed: 2162", "actually processed: many");
        assert!(parse_report(&report)
            .unwrap_err()
            .contains("processed: many"));
    }

    #[test]
    fn the_password_comes_percent_decoded_from_the_url_and_only_from_its_user_part() {
        assert_eq!(
            url_password("postgres://bench:s%40cr%2Ft@db.example:5433/postgres"),
            Some("s@cr/t".into())
        );
        assert_eq!(url_password("postgres://a:b%zz@h/d"), Some("b%zz".into()));
        assert_eq!(
            url_password("postgres://postgres@127.0.0.1:5432/postgres"),
            None
        );
        assert_eq!(url_password("postgres://h/d?user=u:p@x"), None);
    }
}
