//! Context never aborts a write, in any server encoding: generated `pg_audit.*` settings —
//! random text, hostile and broken JSON, numbers of any size, deep nesting, huge values —
//! are set with `set_config` in UTF8, SQL_ASCII and LATIN1 databases, and every write whose
//! settings `set_config` accepted must commit and be audited, with every stored value
//! within its cap. `PG_AUDIT_CONTEXT_SEED` replays a seed.

use pg_audit::{migrate, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, seed_from_env, Dice, TestDb};
use sqlx::Connection;

/// A number in `0..n`.
fn pick(dice: &mut Dice, n: usize) -> usize {
    dice.below(n as u64) as usize
}

/// Random text: ASCII, Latin-1, other scripts, control characters, quotes and backslashes.
fn text(dice: &mut Dice, len: usize) -> String {
    const PIECES: &[&str] = &[
        "a", "Z", "7", " ", "\"", "\\", "'", "{", "}", "[", "]", ":", ",", "é", "ß", "日本", "😀",
        "\u{7f}", "\u{1}", "\n", "\t", "\u{200b}", "\\u0000", "\\ud800", "\\u00e9", "\\u65e5",
    ];
    (0..len).map(|_| PIECES[pick(dice, PIECES.len())]).collect()
}

/// A context value: valid JSON of every awkward kind, or something that only looks like it.
fn context(dice: &mut Dice) -> String {
    let depth = 1 + pick(dice, 200);
    let digits = |dice: &mut Dice, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + pick(dice, 10) as u8))
            .collect()
    };
    match pick(dice, 14) {
        0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
        2 => {
            let n = 500 + pick(dice, 3000);
            format!("{{\"n\": 1{}}}", digits(dice, n))
        }
        3 => {
            let n = 1000 + pick(dice, 20_000);
            format!("{{\"n\": 0.{}}}", digits(dice, n))
        }
        4 => format!("{{\"n\": 1e{}}}", 1 + pick(dice, 99_999)),
        5 => format!("{{\"n\": 1.5e-{}}}", 1 + pick(dice, 99_999)),
        6 => {
            let n = 1 + pick(dice, 50);
            format!("{{\"s\": \"{}\"}}", text(dice, n))
        }
        7 => format!(
            "{{\"big\": \"{}\"}}",
            "x".repeat(1000 + pick(dice, 200_000))
        ),
        8 => "{\"u\": \"\\u00e9\\u65e5\"}".to_string(),
        9 => "{\"bad\": \"\\ud800\", \"nul\": \"\\u0000\"}".to_string(),
        10 => {
            let n = 1 + pick(dice, 100);
            text(dice, n)
        }
        11 => format!(
            "{{\"a\": [1, 2, {{\"b\": null}}], \"c\": {}}}",
            pick(dice, 1000)
        ),
        12 => "{\"trailing\": 1,}".to_string(),
        _ => "x".repeat(1 + pick(dice, 3_000_000)),
    }
}

/// One set of settings: (name, value), each possibly absent.
fn settings(dice: &mut Dice) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut maybe = |dice: &mut Dice, name: &'static str, value: String| {
        if pick(dice, 4) > 0 {
            out.push((name, value));
        }
    };
    let len = [1, 10, 255, 256, 257, 1025, 5000, 300_000][pick(dice, 8)];
    let user = text(dice, len);
    maybe(dice, "pg_audit.user_id", user);
    let ip = [
        "192.0.2.1",
        "::1",
        "not an ip",
        "999.1.1.1",
        "fe80::1%eth0",
        "",
    ][pick(dice, 6)];
    maybe(dice, "pg_audit.ip", ip.to_string());
    let api_len = [1, 100, 1025, 40_000][pick(dice, 4)];
    let api = text(dice, api_len);
    maybe(dice, "pg_audit.api_name", api);
    let method_len = [1, 7, 33, 5000][pick(dice, 4)];
    let method = text(dice, method_len);
    maybe(dice, "pg_audit.http_method", method);
    let request = [
        "0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c",
        "not-a-uuid",
        "0190F1C2-6A39-7B6E-8A3C-8D4F7A1E2B3C",
    ][pick(dice, 3)];
    maybe(dice, "pg_audit.request_id", request.to_string());
    let context = context(dice);
    maybe(dice, "pg_audit.context", context);
    out
}

async fn prepared(db: &TestDb) {
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v text)").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
}

/// Runs `rounds` generated writes; returns how many `set_config` accepted.
async fn writes_commit_and_are_audited(db: &TestDb, seed: u64, rounds: usize) -> usize {
    let mut conn = sqlx::PgConnection::connect_with(&db.options).await.unwrap();
    let mut dice = Dice::new(seed);
    let mut accepted = 0;
    for id in 0..rounds as i32 {
        let values = settings(&mut dice);
        sqlx::raw_sql("BEGIN").execute(&mut conn).await.unwrap();
        let mut refused = false;
        for (name, value) in &values {
            let set = sqlx::query("SELECT set_config($1, $2, true)")
                .bind(name)
                .bind(value)
                .execute(&mut conn)
                .await;
            if set.is_err() {
                // set_config (or the encoding conversion before it) refused the value.
                refused = true;
                break;
            }
        }
        if refused {
            sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
            continue;
        }
        accepted += 1;
        let mut write = sqlx::query("INSERT INTO t VALUES ($1, 'v')")
            .bind(id)
            .execute(&mut conn)
            .await
            .map(|_| ());
        if write.is_ok() {
            write = sqlx::query("UPDATE t SET v = 'w' WHERE id = $1")
                .bind(id)
                .execute(&mut conn)
                .await
                .map(|_| ());
        }
        let commit = sqlx::raw_sql("COMMIT").execute(&mut conn).await;
        let described: Vec<(&str, String)> = values
            .iter()
            .map(|(n, v)| {
                (
                    *n,
                    v.chars().take(80).collect::<String>() + &format!("… ({} bytes)", v.len()),
                )
            })
            .collect();
        assert!(
            write.is_ok() && commit.is_ok(),
            "seed {seed}, write {id}: {write:?} {commit:?} with {described:?}"
        );
        let audited: (i64, Option<i32>, Option<i32>, Option<i32>, Option<i64>) = sqlx::query_as(
            "SELECT count(*), max(length(updated_by)), max(length(api_name)), max(length(http_method)), \
             max(pg_column_size(context))::bigint \
             FROM audit.pg_audit_log WHERE table_name = 't' AND (new_data ->> 'id')::int = $1",
        )
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(audited.0, 2, "seed {seed}, write {id}: {described:?}");
        assert!(audited.1.unwrap_or(0) <= 256, "seed {seed}: {audited:?}");
        assert!(audited.2.unwrap_or(0) <= 1024, "seed {seed}: {audited:?}");
        assert!(audited.3.unwrap_or(0) <= 32, "seed {seed}: {audited:?}");
        assert!(audited.4.unwrap_or(0) <= 70_000, "seed {seed}: {audited:?}");
    }
    accepted
}

fn seed() -> u64 {
    seed_from_env("PG_AUDIT_CONTEXT_SEED")
}

#[tokio::test]
async fn any_context_set_config_accepts_is_stored_capped_in_a_utf8_database() {
    let db = fresh_db!().await;
    prepared(&db).await;
    let seed = seed();
    let accepted = writes_commit_and_are_audited(&db, seed, 150).await;
    assert!(accepted > 100, "seed {seed}: {accepted}");
}

#[tokio::test]
async fn any_context_set_config_accepts_is_stored_capped_in_a_sql_ascii_database() {
    let db = fresh_db!(encoding = "SQL_ASCII").await;
    prepared(&db).await;
    let seed = seed();
    let accepted = writes_commit_and_are_audited(&db, seed, 150).await;
    assert!(accepted > 100, "seed {seed}: {accepted}");
}

#[tokio::test]
async fn any_context_set_config_accepts_is_stored_capped_in_a_latin1_database() {
    let db = fresh_db!(encoding = "LATIN1").await;
    prepared(&db).await;
    let seed = seed();
    let accepted = writes_commit_and_are_audited(&db, seed, 400).await;
    // Values with characters outside Latin-1 never reach set_config here.
    assert!(accepted > 10, "seed {seed}: {accepted}");
}
