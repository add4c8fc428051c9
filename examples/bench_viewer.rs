//! Benchmark of the audit trail viewer: seeds a log of 1,000,000 data audit rows and
//! 200,000 API requests, serves the viewer on a loopback port, loads each page repeatedly
//! in interleaved rounds and prints the median render time measured inside the server (from
//! the request entering the router to the rendered response leaving it) and as the client
//! saw it, as a markdown table. Target: ≤ 50 ms per page, its chart included (the Changes
//! and Requests pages draw the activity of their window, the record page its timeline;
//! the table says how many rows each chart counted).
//!
//! ```text
//! cargo run --release --example bench_viewer [-- --rows 1000000 --rounds 25 --keep]
//! ```
//!
//! It creates (and, unless `--keep`, drops) its own database on the server of
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit::SchemaSettings;
use pg_audit_testing::public_rules;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::time::Instant;

const DATABASE: &str = "pg_audit_bench_viewer";
const SERVER_TIME: &str = "x-bench-server-micros";

struct Options {
    rows: i64,
    rounds: usize,
    keep: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        rows: 1_000_000,
        rounds: 25,
        keep: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => {
                options.rows = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rows takes a number")?
            }
            "--rounds" => {
                options.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rounds takes a number")?
            }
            "--keep" => options.keep = true,
            other => {
                return Err(format!(
                    "unknown argument {other}; use --rows N, --rounds N, --keep"
                ))
            }
        }
    }
    if options.rows < 10_000 {
        return Err(
            "--rows must be at least 10000 (the hot record gets one change in every 1000 rows)"
                .into(),
        );
    }
    Ok(options)
}

/// Adds the time the request spent inside the server as a response header.
async fn timed(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut response = next.run(request).await;
    let micros = start.elapsed().as_micros().to_string();
    if let Ok(value) = micros.parse() {
        response.headers_mut().insert(SERVER_TIME, value);
    }
    response
}

/// What the page's picture counted: the rows of its activity chart, or the marks of its
/// timeline.
fn chart_counts(reply: &pg_audit_testing::Reply) -> String {
    if let Some(chart) = reply.tags("<svg class=\"plot\"").first() {
        if let Some(counted) = chart.get("data-counted") {
            return format!("{counted} rows");
        }
        if let Some(marks) = chart.get("data-marks") {
            return format!("{marks} marks");
        }
    }
    "—".into()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut admin = PgConnection::connect(&url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
        .execute(&mut admin)
        .await?;
    let connect = PgConnectOptions::from_str(&url)?
        .database(DATABASE)
        .disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(connect)
        .await?;
    pg_audit::migrate(&pool, &SchemaSettings::default(), &public_rules()).await?;

    let seeding = Instant::now();
    // One statement per table, as the owner: INSERT is all the append-only guard allows,
    // and all a benchmark needs. One row in 1000 is a change of the "hot" order, so that
    // record has rows / 1000 changes spread over the whole log.
    sqlx::query(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, old_data, new_data, changed_fields,
             record_id, ip_address, updated_at, updated_by, is_db_user, db_user, application_name, api_name,
             http_method, request_id, transaction_id, context)
         SELECT 'public',
                CASE WHEN g % 1000 = 0 THEN 'orders' WHEN g % 10007 = 0 THEN 'refunds' ELSE (ARRAY['orders', 'customers', 'invoices', 'products', 'shipments'])[1 + g % 5] END,
                op,
                CASE WHEN op <> 'INSERT' THEN jsonb_build_object('id', g % 50000, 'total', g % 997, 'status', 'open',
                     'note', md5(g::text), 'customer_id', g % 5000, 'password', '********') END,
                CASE WHEN op <> 'DELETE' THEN jsonb_build_object('id', g % 50000, 'total', g % 991, 'status', 'paid',
                     'note', md5(g::text), 'customer_id', g % 5000, 'password', '********') END,
                CASE WHEN op = 'UPDATE' THEN '[\"total\", \"status\"]'::jsonb END,
                CASE WHEN g % 1000 = 0 THEN 'hot' ELSE (g % 50000)::text END,
                '10.1.2.3'::inet,
                now() - make_interval(secs => ($1 - g)),
                CASE WHEN g % 20 <> 0 THEN 'user' || (g % 500) END,
                g % 20 = 0,
                CASE WHEN g % 20 = 0 THEN 'psql_admin' ELSE 'app' END,
                'bench',
                CASE WHEN g % 20 <> 0 THEN '/orders/{id}' END,
                CASE WHEN g % 20 <> 0 THEN 'PATCH' END,
                CASE WHEN g % 20 <> 0 THEN md5((g / 3)::text)::uuid END,
                g / 3,
                NULL
         FROM generate_series(1, $1::bigint) AS g,
              LATERAL (SELECT CASE WHEN g % 10 < 3 THEN 'INSERT' WHEN g % 10 < 9 THEN 'UPDATE' ELSE 'DELETE' END AS op) AS o",
    )
    .bind(options.rows)
    .execute(&pool)
    .await?;
    let requests = options.rows / 5;
    sqlx::query(
        "INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body,
             response_code, user_id, ip_address, created_at, duration_ms)
         SELECT md5(g::text)::uuid,
                (ARRAY['/orders', '/orders/{id}', '/login', '/customers'])[1 + g % 4],
                (ARRAY['POST', 'PATCH', 'DELETE'])[1 + g % 3],
                jsonb_build_object('total', g % 100, 'password', '********'),
                jsonb_build_object('id', g, 'status', 'ok'),
                CASE WHEN g % 50 = 0 THEN 500 WHEN g % 10 = 0 THEN 404 ELSE 200 END,
                'user' || (g % 500),
                '198.51.100.7'::inet,
                now() - make_interval(secs => ($1 - g) * 5),
                (g % 1000)::double precision + 0.5
         FROM generate_series(1, $1::bigint) AS g",
    )
    .bind(requests)
    .execute(&pool)
    .await?;
    // VACUUM also summarizes the new block ranges of the BRIN index on updated_at, as
    // autovacuum does for an insert-only table in steady state.
    for table in ["audit.pg_audit_log", "audit.pg_api_audit_log"] {
        sqlx::raw_sql(AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
            .execute(&pool)
            .await?;
    }
    let seeded = seeding.elapsed();

    let (min_id, max_id): (i64, i64) =
        sqlx::query_as("SELECT min(id), max(id) FROM audit.pg_audit_log")
            .fetch_one(&pool)
            .await?;
    let hot_oldest: i64 = sqlx::query_scalar(
        "SELECT id FROM audit.pg_audit_log WHERE schema_name = 'public' AND table_name = 'orders' AND record_id = 'hot'
         ORDER BY id LIMIT 1 OFFSET 50",
    )
    .fetch_one(&pool)
    .await?;
    let request_id: uuid::Uuid =
        sqlx::query_scalar("SELECT request_id FROM audit.pg_audit_log WHERE request_id IS NOT NULL ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await?;
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let week_ago_plus = |hours: i64| {
        (chrono::Utc::now() - chrono::Duration::days(7) + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (week_ago_plus_hour, week_ago_plus_day) = (week_ago_plus(1), week_ago_plus(24));

    let source = ViewerSource::new(pool.clone(), "audit")?;
    let allow = |_: &Parts| std::future::ready(true);
    let app = Router::new()
        .nest("/audit", viewer::router(source, allow))
        .layer(middleware::from_fn(timed));
    let addr = pg_audit_testing::serve(app).await;

    let pages: Vec<(String, String)> = vec![
        ("Changes, first page".into(), "/audit".into()),
        (
            "Changes, page 1000 (keyset)".into(),
            format!("/audit?before={}", max_id - 999 * 50),
        ),
        (
            "Changes, deepest page (keyset)".into(),
            format!("/audit?before={}", min_id + 50),
        ),
        (
            "Changes, filtered: table + operation".into(),
            "/audit?schema=public&table=invoices&operation=UPDATE".into(),
        ),
        (
            "Changes, filtered: a rare table (1 row in 10,007)".into(),
            "/audit?schema=public&table=refunds".into(),
        ),
        (
            "Changes, worst case: a filter combination matching nothing".into(),
            "/audit?schema=public&table=invoices&operation=DELETE".into(),
        ),
        (
            "Changes, filtered: user".into(),
            "/audit?user=user42".into(),
        ),
        (
            "Changes, filtered: DB-user writes".into(),
            "/audit?db_user_only=1".into(),
        ),
        (
            "Changes, filtered: request id".into(),
            format!("/audit?request_id={request_id}"),
        ),
        (
            "Changes, filtered: one hour a week ago".into(),
            format!("/audit?since={week_ago}&until={week_ago_plus_hour}"),
        ),
        (
            "Changes, filtered: one day a week ago".into(),
            format!("/audit?since={week_ago}&until={week_ago_plus_day}"),
        ),
        (
            "Changes, filtered: since a week ago (chart per day)".into(),
            format!("/audit?since={week_ago}"),
        ),
        (
            "Changes, last 2 days (chart per hour)".into(),
            "/audit?since=2d".into(),
        ),
        (
            "Changes, last 92 days (chart per day, the whole log)".into(),
            "/audit?since=92d".into(),
        ),
        (
            "Changes, filtered: table, last 7 days".into(),
            "/audit?schema=public&table=invoices&since=7d".into(),
        ),
        (
            "Changes, filtered: until a week ago (no start)".into(),
            format!("/audit?until={week_ago}"),
        ),
        (
            "Requests, filtered: one hour a week ago".into(),
            format!("/audit/requests?since={week_ago}&until={week_ago_plus_hour}"),
        ),
        (
            format!(
                "Record history ({} changes), first page",
                options.rows / 1000
            ),
            "/audit/record?schema=public&table=orders&id=hot".into(),
        ),
        (
            "Record history, oldest page".into(),
            format!("/audit/record?schema=public&table=orders&id=hot&before={hot_oldest}"),
        ),
        ("Requests, first page".into(), "/audit/requests".into()),
        (
            "Requests, last 7 days (chart per day)".into(),
            "/audit/requests?since=7d".into(),
        ),
        (
            "Requests, filtered: 5xx".into(),
            "/audit/requests?status=5xx".into(),
        ),
        (
            "Requests, filtered: slower than 990 ms".into(),
            "/audit/requests?slow_ms=990".into(),
        ),
        (
            "Requests, worst case: a filter combination matching nothing".into(),
            "/audit/requests?user=user1&slow_ms=995".into(),
        ),
        (
            "Request page".into(),
            format!("/audit/requests/{request_id}"),
        ),
    ];

    let mut server: Vec<Vec<f64>> = vec![Vec::new(); pages.len()];
    let mut client: Vec<Vec<f64>> = vec![Vec::new(); pages.len()];
    let mut rows = vec![0usize; pages.len()];
    let mut charted = vec![String::new(); pages.len()];
    let mut bytes = vec![0usize; pages.len()];
    // Interleaved rounds: every page once per round, so drift on a shared machine hits all
    // pages alike. The first two rounds warm the caches and are not counted.
    for round in 0..options.rounds + 2 {
        for (index, (name, target)) in pages.iter().enumerate() {
            let start = Instant::now();
            let reply = pg_audit_testing::get(addr, target).await;
            let elapsed = start.elapsed().as_secs_f64() * 1000.0;
            if reply.status != 200 {
                return Err(
                    format!("{name}: {target} answered {}: {}", reply.status, reply.body).into(),
                );
            }
            if round >= 2 {
                let micros: f64 = reply
                    .header(SERVER_TIME)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN);
                server[index].push(micros / 1000.0);
                client[index].push(elapsed);
                rows[index] = reply.row_ids().len();
                charted[index] = chart_counts(&reply);
                bytes[index] = reply.body.len();
            }
        }
    }

    println!(
        "\nViewer benchmark: {} audit rows, {} API requests (seeded in {:.1} s), {} rounds, target ≤ 50 ms at the server\n",
        options.rows,
        requests,
        seeded.as_secs_f64(),
        options.rounds
    );
    println!("| page | rows shown | chart counted | HTML | server median | server p90 | client median | ≤ 50 ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|:---:|");
    let mut all_met = true;
    for (index, (name, _)) in pages.iter().enumerate() {
        let server_median = median(&mut server[index]);
        let met = server_median <= 50.0;
        all_met &= met;
        println!(
            "| {name} | {} | {} | {} KB | {server_median:.1} ms | {:.1} ms | {:.1} ms | {} |",
            rows[index],
            charted[index],
            bytes[index] / 1024,
            percentile(&mut server[index], 0.9),
            median(&mut client[index]),
            if met { "yes" } else { "**no**" }
        );
    }
    println!(
        "\nEvery page within target: {}",
        if all_met { "yes" } else { "no" }
    );

    pool.close().await;
    if !options.keep {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
    }
    Ok(())
}
