//! Every page of the audit trail viewer, timed on a seeded log: the viewer served on a
//! loopback port, each page loaded repeatedly in interleaved rounds, the time measured
//! inside the server (from the request entering the router to the rendered response
//! leaving it) and as the client saw it. Target: ≤ 50 ms per page at the server, its chart
//! included.

use super::seeded_log::Landmarks;
use super::{median, percentile, BoxError};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Duration, DurationRound, Utc};
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use sqlx::PgPool;
use std::time::Instant;

/// The budget of a page, at the server.
pub const TARGET_MS: f64 = 50.0;

const SERVER_TIME: &str = "x-bench-server-micros";

/// One page's measurements over the rounds.
#[derive(Debug, Clone)]
pub struct PageTiming {
    /// What the page shows.
    pub name: String,
    /// Rows it showed.
    pub rows: usize,
    /// What its picture counted (see [`chart_counts`]).
    pub charted: String,
    /// Bytes of its HTML.
    pub bytes: usize,
    /// Milliseconds inside the server, one a round.
    pub server: Vec<f64>,
    /// Milliseconds as the client saw them, one a round.
    pub client: Vec<f64>,
}

/// The pages, as (what it shows, its target), of the log `marks` describes.
fn pages(marks: &Landmarks) -> Vec<(String, String)> {
    let now = Utc::now();
    let minute = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M").to_string();
    let week_ago = now - Duration::days(7);
    let (since_week, week_hour, week_day) = (
        minute(week_ago),
        minute(week_ago + Duration::hours(1)),
        minute(week_ago + Duration::days(1)),
    );
    // A whole UTC day long ago: a twelfth of the log's time after its first full day.
    let span = now - marks.oldest;
    let day = (marks.oldest + Duration::days(1) + span / 12)
        .duration_trunc(Duration::days(1))
        .unwrap_or(marks.oldest);
    let (day_start, day_end) = (minute(day), minute(day + Duration::days(1)));
    let days_ago = (now - day).num_days();
    let request_id = marks.request_id;
    vec![
        ("Changes, first page".into(), "/audit".into()),
        (
            "Changes, page 1000 (keyset)".into(),
            format!(
                "/audit?before={}",
                (marks.max_id - 999 * 50).max(marks.min_id + 1)
            ),
        ),
        (
            "Changes, deepest page (keyset)".into(),
            format!("/audit?before={}", marks.min_id + 50),
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
            "Changes, filtered: a table of 1 row in 1,111 (just under the search's index budget at 20M rows)".into(),
            "/audit?schema=public&table=coupons".into(),
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
            format!("/audit?since={since_week}&until={week_hour}"),
        ),
        (
            "Changes, filtered: one day a week ago".into(),
            format!("/audit?since={since_week}&until={week_day}"),
        ),
        (
            format!("Changes, filtered: one full day {days_ago} days ago"),
            format!("/audit?since={day_start}&until={day_end}"),
        ),
        (
            "Changes, filtered: since a week ago (chart per day)".into(),
            format!("/audit?since={since_week}"),
        ),
        (
            "Changes, last 2 days (chart per hour)".into(),
            "/audit?since=2d".into(),
        ),
        (
            "Changes, last 92 days (chart per day)".into(),
            "/audit?since=92d".into(),
        ),
        (
            "Changes, filtered: table, last 7 days".into(),
            "/audit?schema=public&table=invoices&since=7d".into(),
        ),
        (
            "Changes, filtered: until a week ago (no start)".into(),
            format!("/audit?until={since_week}"),
        ),
        (
            format!("Record history ({} changes), first page", marks.hot_changes),
            "/audit/record?schema=public&table=orders&id=hot".into(),
        ),
        (
            "Record history, oldest page".into(),
            format!(
                "/audit/record?schema=public&table=orders&id=hot&before={}",
                marks.hot_oldest_page
            ),
        ),
        ("Requests, first page".into(), "/audit/requests".into()),
        (
            "Requests, filtered: one hour a week ago".into(),
            format!("/audit/requests?since={since_week}&until={week_hour}"),
        ),
        (
            format!("Requests, filtered: one full day {days_ago} days ago"),
            format!("/audit/requests?since={day_start}&until={day_end}"),
        ),
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
            "/audit/requests?status=5xx&slow_ms=995".into(),
        ),
        (
            "Request page".into(),
            format!("/audit/requests/{request_id}"),
        ),
    ]
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

/// Serves the viewer on the log of `pool` and loads every page once a round for `rounds`
/// rounds, after two that warm the caches and are not counted. Interleaved rounds: drift on
/// a shared machine hits all pages alike.
pub async fn time_pages(
    pool: &PgPool,
    marks: &Landmarks,
    rounds: usize,
) -> Result<Vec<PageTiming>, BoxError> {
    let source = ViewerSource::new(pool.clone(), "audit")?;
    let allow = |_: &Parts| std::future::ready(true);
    let app = Router::new()
        .nest("/audit", viewer::router(source, allow))
        .layer(middleware::from_fn(timed));
    let addr = pg_audit_testing::serve(app).await;
    let pages = pages(marks);
    let mut timings: Vec<PageTiming> = pages
        .iter()
        .map(|(name, _)| PageTiming {
            name: name.clone(),
            rows: 0,
            charted: String::new(),
            bytes: 0,
            server: Vec::new(),
            client: Vec::new(),
        })
        .collect();
    for round in 0..rounds + 2 {
        for ((name, target), timing) in pages.iter().zip(&mut timings) {
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
                timing.server.push(micros / 1000.0);
                timing.client.push(elapsed);
                timing.rows = reply.row_ids().len();
                timing.charted = chart_counts(&reply);
                timing.bytes = reply.body.len();
            }
        }
    }
    Ok(timings)
}

/// Prints the pages' table (markdown) and a line saying whether every page met the
/// target; returns whether it did.
pub fn print_pages(timings: &mut [PageTiming]) -> bool {
    println!("| page | rows shown | chart counted | HTML | server median | server p90 | server max | client median | ≤ {TARGET_MS} ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|:---:|");
    let mut all_met = true;
    for timing in timings.iter_mut() {
        let server_median = median(&mut timing.server);
        let met = server_median <= TARGET_MS;
        all_met &= met;
        println!(
            "| {} | {} | {} | {} KB | {server_median:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
            timing.name,
            timing.rows,
            timing.charted,
            timing.bytes / 1024,
            percentile(&mut timing.server, 0.9),
            percentile(&mut timing.server, 1.0),
            median(&mut timing.client),
            if met { "yes" } else { "**no**" }
        );
    }
    println!(
        "\nEvery page within target: {}",
        if all_met { "yes" } else { "**no**" }
    );
    all_met
}
