//! The API-log writer: a queue bounded in rows and in bytes, filled by the request path with
//! `try_send` (it never waits on the database) and drained by one task that inserts batches
//! with a single `INSERT … SELECT … FROM UNNEST(…) ON CONFLICT DO NOTHING` statement, flushed
//! by size or by a short interval.
//!
//! Every row is made storable before it is queued (text capped with a marker, NUL removed),
//! so no value can make the database refuse a row. Should it refuse one anyway (a data,
//! integrity or size-limit error), the batch is written row by row: a refused row is written
//! again with its bodies replaced by a marker, and set aside and counted as failed only if
//! even that is refused — a bad row is never retried forever and never blocks the rows after
//! it. Any other error means the database is unavailable: the batch is kept and retried with
//! bounded exponential backoff while the queue keeps accepting rows up to its bounds; beyond
//! them the newest rows are dropped and counted. A batch is idempotent (the table's unique
//! `(request_id, created_at)` key), so a batch re-sent after a timeout whose INSERT did
//! commit on the server is not written twice, and the counters match the table. Shutdown
//! drains everything queued, waiting at most a bounded time for the database.

use crate::sql::templates::InsertApiLog;
use crate::sql::SqlQuery;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

/// Longest wait between two attempts to write a batch.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// First wait after a failed batch.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// At most one warning about dropped rows per this interval.
const DROP_WARN_INTERVAL: Duration = Duration::from_secs(5);
/// Caps of the text columns, in bytes: the path index of `pg_api_audit_log` holds
/// `(api_name, http_method)` and a B-tree entry must fit in a third of a page.
pub(crate) const MAX_API_NAME_BYTES: usize = 1024;
/// Cap of `http_method`, in bytes (real methods are a few letters).
pub(crate) const MAX_METHOD_BYTES: usize = 32;
/// Cap of `user_id`, in bytes.
pub(crate) const MAX_USER_ID_BYTES: usize = 256;
/// What ends a value that was cut to its cap.
const CUT_MARKER: &str = "…[cut]";
/// Bytes a row takes in the queue besides its text (ids, numbers, allocation overhead).
const ROW_OVERHEAD_BYTES: usize = 256;

/// One row of `pg_api_audit_log`, as the layer hands it to the writer. The bodies are JSON
/// text (masked already), so the queue holds exactly the bytes it counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiLogRow {
    pub request_id: Uuid,
    pub api_name: Option<String>,
    pub http_method: String,
    pub request_payload: Option<String>,
    pub response_body: Option<String>,
    pub response_code: i32,
    pub user_id: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub created_at: DateTime<Utc>,
    pub duration_ms: f64,
}

impl ApiLogRow {
    /// The row with every text column made storable: NUL characters (which PostgreSQL text
    /// cannot hold) replaced, and names cut to their caps with a marker.
    pub(crate) fn storable(mut self) -> Self {
        self.api_name = self.api_name.map(|v| capped(v, MAX_API_NAME_BYTES));
        self.http_method = capped(self.http_method, MAX_METHOD_BYTES);
        self.user_id = self.user_id.map(|v| capped(v, MAX_USER_ID_BYTES));
        if !self.duration_ms.is_finite() {
            self.duration_ms = 0.0;
        }
        self
    }

    /// The row as it is stored when PostgreSQL refused it: bodies replaced by a marker that
    /// says why, names cut short.
    fn marked(&self, reason: &str) -> Self {
        let marker = |body: &Option<String>| {
            body.as_ref().map(|_| {
                serde_json::json!({
                    "pg_audit": "body not stored: PostgreSQL refused the row",
                    "error": capped(reason.to_string(), 200),
                })
                .to_string()
            })
        };
        ApiLogRow {
            api_name: self.api_name.clone().map(|v| capped(v, 128)),
            user_id: self.user_id.clone().map(|v| capped(v, 64)),
            request_payload: marker(&self.request_payload),
            response_body: marker(&self.response_body),
            ..self.clone()
        }
    }

    /// Bytes the row holds while it waits in the queue.
    pub(crate) fn size(&self) -> usize {
        let text = |v: &Option<String>| v.as_ref().map_or(0, String::len);
        ROW_OVERHEAD_BYTES
            + text(&self.api_name)
            + self.http_method.len()
            + text(&self.request_payload)
            + text(&self.response_body)
            + text(&self.user_id)
    }
}

/// `value` without NUL characters and at most `cap` bytes long, ending in [`CUT_MARKER`]
/// when it was cut (at a character boundary).
fn capped(value: String, cap: usize) -> String {
    let value = if value.contains('\0') {
        value.replace('\0', "\u{FFFD}")
    } else {
        value
    };
    if value.len() <= cap {
        return value;
    }
    let mut end = cap.saturating_sub(CUT_MARKER.len());
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT_MARKER}", &value[..end])
}

/// Counters of the API-log writer, from [`Audit::stats`](crate::Audit::stats): atomic and
/// cheap to read at any time, so a source for metrics. `queued` and `queued_bytes` are
/// gauges, the rest counters; every row the layer accepted is in exactly one of `written`,
/// `dropped`, `failed`, `lost`, or still `queued`.
///
/// ```no_run
/// # fn export(audit: &pg_audit_runtime::Audit) {
/// let stats = audit.stats();
/// if stats.dropped + stats.failed + stats.lost > 0 {
///     eprintln!("API-log rows missing: {stats:?}");
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Rows accepted and not yet written (in the queue or in the batch being written).
    pub queued: u64,
    /// Rows written to `pg_api_audit_log`.
    pub written: u64,
    /// Bytes the queued rows hold (bounded by
    /// [`WriterSettings::queue_max_bytes`](crate::WriterSettings::queue_max_bytes)).
    pub queued_bytes: u64,
    /// Rows dropped because the queue was full (in rows or in bytes) or the writer had shut
    /// down.
    pub dropped: u64,
    /// Rows PostgreSQL refused even with their bodies replaced by a marker: set aside, not
    /// written, reported through `tracing`.
    pub failed: u64,
    /// Insert attempts that failed (the database was unavailable or timed out, or it refused
    /// a row); each is retried or split.
    pub failed_batches: u64,
    /// Rows still queued when shutdown gave up waiting for an unreachable database.
    pub lost: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    queued: AtomicU64,
    queued_bytes: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    failed_batches: AtomicU64,
    lost: AtomicU64,
    last_drop_warning_ms: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            queued: self.queued.load(Ordering::Relaxed),
            queued_bytes: self.queued_bytes.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }

    /// Rows that left the queue (written, set aside or lost).
    fn release(&self, rows: &[ApiLogRow]) {
        let bytes: u64 = rows.iter().map(|r| r.size() as u64).sum();
        self.queued.fetch_sub(rows.len() as u64, Ordering::Relaxed);
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// The request path's end of the queue. Cloning is cheap.
#[derive(Debug, Clone)]
pub(crate) struct WriterHandle {
    sender: mpsc::Sender<ApiLogRow>,
    counters: Arc<Counters>,
    max_bytes: u64,
    started: Instant,
    /// Keeps the stop signal open while any layer lives, so that dropping the `Audit` handle
    /// without calling `shutdown` does not stop the writer under a running app.
    _stop: Arc<watch::Sender<Option<Instant>>>,
}

impl WriterHandle {
    /// Makes the row storable and queues it without waiting; a queue full in rows or in
    /// bytes, or closed, drops it and counts it.
    pub(crate) fn push(&self, row: ApiLogRow) {
        let row = row.storable();
        let size = row.size() as u64;
        let bytes = self
            .counters
            .queued_bytes
            .fetch_add(size, Ordering::Relaxed)
            + size;
        // Counted before sending so the writer never releases more than was counted.
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        let refused = if bytes > self.max_bytes {
            Some("the queue is full (bytes)")
        } else {
            match self.sender.try_send(row) {
                Ok(()) => None,
                Err(mpsc::error::TrySendError::Full(_)) => Some("the queue is full"),
                Err(mpsc::error::TrySendError::Closed(_)) => Some("the writer has shut down"),
            }
        };
        match refused {
            None => {}
            Some(reason) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                self.counters
                    .queued_bytes
                    .fetch_sub(size, Ordering::Relaxed);
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                let now = self.started.elapsed().as_millis() as u64;
                let last = self.counters.last_drop_warning_ms.load(Ordering::Relaxed);
                let due = dropped == 1
                    || now.saturating_sub(last) >= DROP_WARN_INTERVAL.as_millis() as u64;
                if due
                    && self
                        .counters
                        .last_drop_warning_ms
                        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    tracing::warn!(
                        dropped_total = dropped,
                        "pg-audit: API-log row dropped because {reason} ({dropped} dropped so far)"
                    );
                }
            }
        }
    }
}

/// The running writer task and how to stop it.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) handle: WriterHandle,
    stop: Arc<watch::Sender<Option<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

/// What the writer needs to know.
#[derive(Debug, Clone)]
pub(crate) struct WriterConfig {
    pub audit_schema: String,
    pub capacity: usize,
    pub max_bytes: usize,
    pub attempt_timeout: Duration,
    pub batch_size: usize,
    pub flush_interval: Duration,
}

impl Writer {
    /// Spawns the writer task on the current tokio runtime.
    pub(crate) fn spawn(pool: PgPool, config: WriterConfig) -> Writer {
        let (sender, receiver) = mpsc::channel(config.capacity.max(1));
        let counters = Arc::new(Counters::default());
        let (stop, stop_rx) = watch::channel(None);
        let stop = Arc::new(stop);
        let max_bytes = config.max_bytes as u64;
        let task = tokio::spawn(run(pool, config, receiver, counters.clone(), stop_rx));
        Writer {
            handle: WriterHandle {
                sender,
                counters,
                max_bytes,
                started: Instant::now(),
                _stop: stop.clone(),
            },
            stop,
            task,
        }
    }

    /// The current counters.
    pub(crate) fn stats(&self) -> WriterStats {
        self.handle.counters.snapshot()
    }

    /// Stops accepting rows, writes everything queued (waiting at most `timeout` for the
    /// database), and returns the final counters.
    pub(crate) async fn shutdown(self, timeout: Duration) -> WriterStats {
        let deadline = Instant::now() + timeout;
        let _ = self.stop.send(Some(deadline));
        if let Err(error) = self.task.await {
            tracing::error!("pg-audit: the API-log writer task failed: {error}");
        }
        let stats = self.handle.counters.snapshot();
        if stats.lost > 0 {
            tracing::error!(
                lost = stats.lost,
                "pg-audit: {} API-log rows could not be written before shutdown (database unreachable)",
                stats.lost
            );
        }
        stats
    }
}

async fn run(
    pool: PgPool,
    config: WriterConfig,
    mut receiver: mpsc::Receiver<ApiLogRow>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<Option<Instant>>,
) {
    let batch_size = config.batch_size.max(1);
    let mut batch: Vec<ApiLogRow> = Vec::with_capacity(batch_size);
    let mut deadline: Option<Instant> = None;
    loop {
        // Wait for the first row of a batch, or for shutdown.
        if deadline.is_none() && batch.is_empty() {
            tokio::select! {
                biased;
                row = receiver.recv() => match row {
                    Some(row) => batch.push(row),
                    None => break,
                },
                changed = stop.changed() => {
                    deadline = stop_deadline(&stop, changed.is_err());
                    receiver.close();
                }
            }
        }
        // Fill the batch until it is full or the flush interval has passed.
        let flush_at = tokio::time::Instant::now() + config.flush_interval;
        while batch.len() < batch_size {
            if deadline.is_some() {
                // Shutting down: take what is queued without waiting.
                match receiver.try_recv() {
                    Ok(row) => batch.push(row),
                    Err(_) => break,
                }
                continue;
            }
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    deadline = stop_deadline(&stop, changed.is_err());
                    receiver.close();
                }
                row = tokio::time::timeout_at(flush_at, receiver.recv()) => match row {
                    Ok(Some(row)) => batch.push(row),
                    Ok(None) => {
                        deadline.get_or_insert_with(Instant::now);
                        break;
                    }
                    Err(_) => break,
                },
            }
        }
        if !batch.is_empty() {
            write_with_retry(
                &pool,
                &config,
                &mut batch,
                &counters,
                &mut stop,
                &mut deadline,
                &mut receiver,
            )
            .await;
        }
        if let Some(limit) = deadline {
            if batch.is_empty() && receiver.is_empty() {
                break;
            }
            if Instant::now() >= limit && !batch.is_empty() {
                // The database stayed unreachable until the shutdown deadline.
                while let Ok(row) = receiver.try_recv() {
                    batch.push(row);
                }
                counters.release(&batch);
                counters
                    .lost
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
                break;
            }
        }
    }
}

fn stop_deadline(stop: &watch::Receiver<Option<Instant>>, sender_gone: bool) -> Option<Instant> {
    match *stop.borrow() {
        Some(deadline) => Some(deadline),
        None if sender_gone => Some(Instant::now() + MAX_BACKOFF),
        None => None,
    }
}

/// Writes `batch`, retrying with backoff until it is written or the shutdown deadline
/// passes (the batch is then left non-empty).
#[allow(clippy::too_many_arguments)]
async fn write_with_retry(
    pool: &PgPool,
    config: &WriterConfig,
    batch: &mut Vec<ApiLogRow>,
    counters: &Counters,
    stop: &mut watch::Receiver<Option<Instant>>,
    deadline: &mut Option<Instant>,
    receiver: &mut mpsc::Receiver<ApiLogRow>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut failed_attempts = 0u32;
    loop {
        let attempt_limit = match deadline {
            Some(limit) => limit
                .saturating_duration_since(Instant::now())
                .min(config.attempt_timeout),
            None => config.attempt_timeout,
        };
        let outcome =
            tokio::time::timeout(attempt_limit, insert(pool, &config.audit_schema, batch)).await;
        match outcome {
            Ok(Ok(())) => {
                if failed_attempts > 0 {
                    tracing::info!(
                        rows = batch.len(),
                        failed_attempts,
                        "pg-audit: the API log is writable again: {} rows written after {failed_attempts} failed attempts",
                        batch.len()
                    );
                }
                counters
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                counters.release(batch);
                batch.clear();
                return;
            }
            Ok(Err(error)) if rejects_data(&error) => {
                // PostgreSQL refused a row itself: retrying cannot help. Write the rows one
                // by one so that only the refused ones are marked or set aside.
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "pg-audit: API-log batch refused ({error}); writing its rows one by one"
                );
                if write_one_by_one(pool, config, batch, counters).await {
                    return;
                }
                // The database became unavailable midway: what is left is retried.
            }
            Ok(Err(error)) => {
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "pg-audit: writing {} API-log rows failed ({error}); retrying in {backoff:?}",
                    batch.len()
                );
            }
            Err(_) => {
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "pg-audit: writing {} API-log rows timed out; retrying in {backoff:?}",
                    batch.len()
                );
            }
        }
        failed_attempts = failed_attempts.saturating_add(1);
        let wait = match deadline {
            Some(limit) => {
                let left = limit.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                backoff.min(left)
            }
            None => backoff,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = stop.changed(), if deadline.is_none() => {
                *deadline = stop_deadline(stop, changed.is_err());
                receiver.close();
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Writes the rows of `batch` one at a time: a refused row is written again marked, and set
/// aside if even that is refused. Returns false, with the unwritten rows left in `batch`,
/// when the database became unavailable midway.
async fn write_one_by_one(
    pool: &PgPool,
    config: &WriterConfig,
    batch: &mut Vec<ApiLogRow>,
    counters: &Counters,
) -> bool {
    let rows = std::mem::take(batch);
    for (index, row) in rows.iter().enumerate() {
        let one = std::slice::from_ref(row);
        let outcome = match insert_within(pool, config, one).await {
            Err(error) if rejects_data(&error) => {
                let marked = row.marked(&error.to_string());
                match insert_within(pool, config, std::slice::from_ref(&marked)).await {
                    Err(again) if rejects_data(&again) => Err(Some(again)),
                    Err(_) => Err(None),
                    Ok(()) => {
                        tracing::warn!(request_id = %row.request_id, "pg-audit: API-log row written with its bodies replaced: PostgreSQL refused it ({error})");
                        Ok(())
                    }
                }
            }
            Err(_) => Err(None),
            Ok(()) => Ok(()),
        };
        match outcome {
            Ok(()) => {
                counters.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(Some(error)) => {
                tracing::error!(request_id = %row.request_id, "pg-audit: API-log row set aside, PostgreSQL refused it even marked: {error}");
                counters.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(None) => {
                *batch = rows[index..].to_vec();
                counters.release(&rows[..index]);
                return false;
            }
        }
    }
    counters.release(&rows);
    true
}

/// One insert attempt, given up after the attempt timeout (reported as a pool timeout).
async fn insert_within(
    pool: &PgPool,
    config: &WriterConfig,
    rows: &[ApiLogRow],
) -> Result<(), sqlx::Error> {
    tokio::time::timeout(
        config.attempt_timeout,
        insert(pool, &config.audit_schema, rows),
    )
    .await
    .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// Whether the error is PostgreSQL refusing the data itself — a data exception (class 22),
/// an integrity violation (23) or a size limit such as an index entry too large (54) — as
/// opposed to the connection or the server being unavailable, which a retry can cure.
fn rejects_data(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("22") || code.starts_with("23") || code.starts_with("54")
        }),
        _ => false,
    }
}

async fn insert(pool: &PgPool, audit_schema: &str, rows: &[ApiLogRow]) -> Result<(), sqlx::Error> {
    // One statement, no transaction of its own: a timed-out batch may still commit on the
    // server, which the unique key makes harmless. It resolves nothing through the
    // session's search_path (see insert_api_log.sql), so the application's pool is safe.
    let n = rows.len();
    let mut request_ids = Vec::with_capacity(n);
    let mut api_names = Vec::with_capacity(n);
    let mut methods = Vec::with_capacity(n);
    let mut payloads = Vec::with_capacity(n);
    let mut responses = Vec::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    let mut users = Vec::with_capacity(n);
    let mut ips = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let mut durations = Vec::with_capacity(n);
    for row in rows {
        request_ids.push(row.request_id);
        api_names.push(row.api_name.clone());
        methods.push(row.http_method.clone());
        payloads.push(row.request_payload.as_deref());
        responses.push(row.response_body.as_deref());
        codes.push(row.response_code);
        users.push(row.user_id.clone());
        ips.push(row.ip_address);
        created.push(row.created_at);
        durations.push(row.duration_ms);
    }
    InsertApiLog { audit_schema }
        .render()
        .query()
        .bind(request_ids)
        .bind(api_names)
        .bind(methods)
        .bind(payloads)
        .bind(responses)
        .bind(codes)
        .bind(users)
        .bind(ips)
        .bind(created)
        .bind(durations)
        .execute(pool)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ApiLogRow {
        ApiLogRow {
            request_id: Uuid::nil(),
            api_name: Some("/orders".into()),
            http_method: "POST".into(),
            request_payload: Some("{\"a\":1}".into()),
            response_body: None,
            response_code: 201,
            user_id: Some("7".into()),
            ip_address: None,
            created_at: Utc::now(),
            duration_ms: 1.5,
        }
    }

    #[test]
    fn a_value_within_its_cap_is_kept_as_it_is() {
        assert_eq!(capped("/orders/{id}".into(), 1024), "/orders/{id}");
    }

    #[test]
    fn a_long_value_is_cut_at_a_character_boundary_and_marked() {
        let cut = capped("é".repeat(3000), MAX_API_NAME_BYTES);
        assert!(cut.len() <= MAX_API_NAME_BYTES, "{}", cut.len());
        assert!(cut.ends_with(CUT_MARKER));
        assert!(cut.trim_end_matches(CUT_MARKER).chars().all(|c| c == 'é'));
    }

    #[test]
    fn nul_characters_are_replaced_so_postgres_text_can_hold_the_value() {
        assert_eq!(capped("an\0na".into(), 100), "an\u{FFFD}na");
    }

    #[test]
    fn a_storable_row_has_every_name_within_its_cap() {
        let hostile = ApiLogRow {
            api_name: Some("/".repeat(3000)),
            http_method: "M".repeat(3000),
            user_id: Some(format!("{}\0", "u".repeat(2_000_000))),
            duration_ms: f64::NAN,
            ..row()
        }
        .storable();
        assert!(hostile
            .api_name
            .as_ref()
            .is_some_and(|v| v.len() <= MAX_API_NAME_BYTES));
        assert!(hostile.http_method.len() <= MAX_METHOD_BYTES);
        assert!(hostile
            .user_id
            .as_ref()
            .is_some_and(|v| v.len() <= MAX_USER_ID_BYTES));
        assert_eq!(hostile.duration_ms, 0.0);
        assert!(hostile.size() < ROW_OVERHEAD_BYTES + 2_000);
    }

    #[test]
    fn a_marked_row_keeps_its_identity_and_replaces_its_bodies() {
        let original = row();
        let marked = original.marked("index row size exceeds maximum");
        assert_eq!(marked.request_id, original.request_id);
        assert_eq!(marked.response_body, None);
        let payload: serde_json::Value =
            serde_json::from_str(marked.request_payload.as_deref().unwrap_or("null")).unwrap();
        assert_eq!(payload["error"], "index row size exceeds maximum");
    }

    #[test]
    fn the_size_of_a_row_counts_its_bodies() {
        let big = ApiLogRow {
            request_payload: Some("x".repeat(10_000)),
            ..row()
        };
        assert!(big.size() >= 10_000 && big.size() < 10_000 + ROW_OVERHEAD_BYTES + 100);
    }
}
