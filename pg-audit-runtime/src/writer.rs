//! The API-log writer: a bounded queue filled by the request path with `try_send` (it never
//! waits on the database) and drained by one task that inserts batches with a single
//! `INSERT … SELECT * FROM UNNEST(…)` statement, flushed by size or by a short interval.
//! On a connection error the batch is kept and retried with exponential backoff while the
//! queue keeps accepting rows up to its capacity; beyond it the newest rows are dropped and
//! counted. Shutdown drains everything queued, waiting at most a bounded time for the
//! database.

use crate::sql::templates::InsertApiLog;
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
/// Longest time one insert may take before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// At most one warning about dropped rows per this interval.
const DROP_WARN_INTERVAL: Duration = Duration::from_secs(5);

/// One row of `pg_api_audit_log`, as the layer hands it to the writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiLogRow {
    pub request_id: Uuid,
    pub api_name: Option<String>,
    pub http_method: String,
    pub request_payload: Option<serde_json::Value>,
    pub response_body: Option<serde_json::Value>,
    pub response_code: i32,
    pub user_id: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub created_at: DateTime<Utc>,
    pub duration_ms: f64,
}

/// Counters of the API-log writer, from [`Audit::stats`](crate::Audit::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Rows accepted and not yet written (in the queue or in the batch being written).
    pub queued: u64,
    /// Rows written to `pg_api_audit_log`.
    pub written: u64,
    /// Rows dropped because the queue was full (or, rarely, because PostgreSQL rejected the
    /// row itself).
    pub dropped: u64,
    /// Insert attempts that failed (each is retried).
    pub failed_batches: u64,
    /// Rows still queued when shutdown gave up waiting for an unreachable database.
    pub lost: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    queued: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed_batches: AtomicU64,
    lost: AtomicU64,
    last_drop_warning_ms: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            queued: self.queued.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}

/// The request path's end of the queue. Cloning is cheap.
#[derive(Debug, Clone)]
pub(crate) struct WriterHandle {
    sender: mpsc::Sender<ApiLogRow>,
    counters: Arc<Counters>,
    started: Instant,
    /// Keeps the stop signal open while any layer lives, so that dropping the `Audit` handle
    /// without calling `shutdown` does not stop the writer under a running app.
    _stop: Arc<watch::Sender<Option<Instant>>>,
}

impl WriterHandle {
    /// Queues a row without waiting; a full (or closed) queue drops it and counts it.
    pub(crate) fn push(&self, row: ApiLogRow) {
        match self.sender.try_send(row) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
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
                    let reason = match error {
                        mpsc::error::TrySendError::Full(_) => "the queue is full",
                        mpsc::error::TrySendError::Closed(_) => "the writer has shut down",
                    };
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
        let task = tokio::spawn(run(pool, config, receiver, counters.clone(), stop_rx));
        Writer {
            handle: WriterHandle {
                sender,
                counters,
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
                let mut lost = batch.len() as u64;
                batch.clear();
                while receiver.try_recv().is_ok() {
                    lost += 1;
                }
                counters.queued.fetch_sub(
                    lost.min(counters.queued.load(Ordering::Relaxed)),
                    Ordering::Relaxed,
                );
                counters.lost.fetch_add(lost, Ordering::Relaxed);
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
    loop {
        let attempt_limit = match deadline {
            Some(limit) => limit
                .saturating_duration_since(Instant::now())
                .min(ATTEMPT_TIMEOUT),
            None => ATTEMPT_TIMEOUT,
        };
        let outcome =
            tokio::time::timeout(attempt_limit, insert(pool, &config.audit_schema, batch)).await;
        match outcome {
            Ok(Ok(())) => {
                let n = batch.len() as u64;
                counters.written.fetch_add(n, Ordering::Relaxed);
                counters.queued.fetch_sub(n, Ordering::Relaxed);
                batch.clear();
                return;
            }
            Ok(Err(error)) if rejects_data(&error) => {
                // PostgreSQL refused the rows themselves: retrying cannot help. Write them
                // one by one so that only the rejected ones are dropped.
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "pg-audit: API-log batch rejected ({error}); writing its rows one by one"
                );
                for row in std::mem::take(batch) {
                    match insert(pool, &config.audit_schema, std::slice::from_ref(&row)).await {
                        Ok(()) => counters.written.fetch_add(1, Ordering::Relaxed),
                        Err(error) => {
                            tracing::warn!(request_id = %row.request_id, "pg-audit: API-log row dropped: {error}");
                            counters.dropped.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                    counters.queued.fetch_sub(1, Ordering::Relaxed);
                }
                return;
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

/// Whether the error is PostgreSQL rejecting the data (a data exception or an integrity
/// violation), as opposed to the connection or the server being unavailable.
fn rejects_data(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("22") || code.starts_with("23")),
        _ => false,
    }
}

async fn insert(pool: &PgPool, audit_schema: &str, rows: &[ApiLogRow]) -> Result<(), sqlx::Error> {
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
        payloads.push(row.request_payload.clone());
        responses.push(row.response_body.clone());
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
