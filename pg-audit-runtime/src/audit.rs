//! The application's handle on pg-audit: created once at start-up, it migrates the audit
//! schema, attaches triggers to the declared tables, starts the API-log writer and hands out
//! the [`AuditLayer`].

use crate::config::{TableRules, Tables};
use crate::error::Result;
use crate::layer::{AuditLayer, LayerConfig};
use crate::schema::attach::{attach, AttachOptions};
use crate::schema::maintain::maintain;
use crate::schema::migrate::migrate;
use crate::settings::{SchemaSettings, Settings};
use crate::writer::{Writer, WriterConfig, WriterStats};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long [`Audit::shutdown`] waits for an unreachable database by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the [`Audit`] handle runs the logs' maintenance by default (partitions made
/// ahead, retention): hourly, so a month's partition exists long before it is needed and a
/// retention run is never more than an hour late.
pub const DEFAULT_MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);

/// pg-audit in a running application. Cloning is cheap (it is shared).
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{Audit, Settings, Tables};
/// static TABLES: Tables = Tables::PUBLIC;
/// let audit = Audit::builder(pool).tables(&TABLES).settings(Settings::default()).start().await?;
/// let app: axum::Router = axum::Router::new().layer(audit.layer());
/// // … serve `app` with `into_make_service_with_connect_info::<std::net::SocketAddr>()` …
/// let stats = audit.shutdown().await;
/// assert_eq!(stats.lost, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Audit {
    inner: Arc<AuditInner>,
}

#[derive(Debug)]
struct AuditInner {
    pool: PgPool,
    reader_pool: PgPool,
    settings: Settings,
    layer: Arc<LayerConfig>,
    writer: Mutex<Option<Writer>>,
    final_stats: Mutex<Option<WriterStats>>,
    shutdown_timeout: Duration,
    maintenance: tokio::task::JoinHandle<()>,
}

impl Drop for AuditInner {
    fn drop(&mut self) {
        self.maintenance.abort();
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(writer) = writer {
            let stats = writer.stats();
            if stats.queued > 0 {
                tracing::warn!(
                    queued = stats.queued,
                    "pg-audit: the Audit handle was dropped without `shutdown().await`: {} API-log rows are still queued and are lost if the process exits now",
                    stats.queued
                );
            }
        }
    }
}

/// Connections of the API-log writer's own pool (so a stalled log table holds at most
/// these, never the application's).
const WRITER_POOL_SIZE: u32 = 2;
/// Connections of the maintenance's own pool: it never holds one of the application's,
/// even while it waits for a lock on the log.
const MAINTENANCE_POOL_SIZE: u32 = 1;
/// Longest statement of the maintenance: moving the rows a default partition gathered, or
/// counting a month's rows before its drop.
const MAINTENANCE_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);
/// Connections of the viewer's own pool.
const READER_POOL_SIZE: u32 = 2;
/// Longest statement of the viewer's pool: a page is a few milliseconds; this only stops a
/// query stuck behind a lock from holding a connection.
const READER_STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A small pool of pg-audit's own, on the same server and role as `app`: lazy (it connects
/// on first use), with the `search_path` pinned to `pg_catalog` (pg-audit's statements
/// name their schema) and a statement timeout, so a stalled audit table slows only the
/// part of pg-audit that uses it.
fn side_pool(app: &PgPool, name: &str, size: u32, statement_timeout: Duration) -> PgPool {
    let timeout_ms = statement_timeout.as_millis().max(1).to_string();
    let options = (*app.connect_options())
        .clone()
        .application_name(name)
        .options([
            ("search_path", "pg_catalog, pg_temp"),
            ("statement_timeout", timeout_ms.as_str()),
        ]);
    PgPoolOptions::new()
        .max_connections(size)
        .min_connections(0)
        .acquire_timeout(statement_timeout)
        .connect_lazy_with(options)
}

/// Configures and starts an [`Audit`]; from [`Audit::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .start().await to start auditing"]
pub struct AuditBuilder {
    pool: PgPool,
    writer_pool: Option<PgPool>,
    tables: Tables,
    settings: Settings,
    shutdown_timeout: Duration,
    automatic_attach: Option<bool>,
    ddl_trail: Option<bool>,
    maintenance_interval: Duration,
}

impl Audit {
    /// Starts configuring pg-audit on `pool`, used for migrations and attach. The API-log
    /// writer and the viewer each get a small pool of their own on the same server (two
    /// connections, a statement timeout), so a stalled log table never takes the
    /// application's connections; [`AuditBuilder::writer_pool`] gives the writer another.
    pub fn builder(pool: PgPool) -> AuditBuilder {
        AuditBuilder {
            pool,
            writer_pool: None,
            tables: Tables::PUBLIC,
            settings: Settings::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            automatic_attach: None,
            ddl_trail: None,
            maintenance_interval: DEFAULT_MAINTENANCE_INTERVAL,
        }
    }

    /// The tower layer logging API requests (add it with `Router::layer`).
    pub fn layer(&self) -> AuditLayer {
        AuditLayer::new(self.inner.layer.clone())
    }

    /// The writer's counters.
    pub fn stats(&self) -> WriterStats {
        if let Some(writer) = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return writer.stats();
        }
        self.inner
            .final_stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_default()
    }

    /// Stops the writer after writing everything queued, waiting at most the shutdown
    /// timeout (default 10 s) for an unreachable database; rows still unwritten then are
    /// counted in [`WriterStats::lost`] and reported through `tracing`. Requests logged
    /// after shutdown are counted as dropped. Calling it again returns the same counters.
    pub async fn shutdown(&self) -> WriterStats {
        let writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let stats = match writer {
            Some(writer) => {
                let stats = writer.shutdown(self.inner.shutdown_timeout).await;
                *self
                    .inner
                    .final_stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(stats);
                stats
            }
            None => self.stats(),
        };
        self.inner.maintenance.abort();
        stats
    }

    /// The pool given to [`Audit::builder`].
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The viewer's own pool (two connections, statement timeout), used by
    /// `ViewerSource::from(&audit)`.
    pub fn reader_pool(&self) -> &PgPool {
        &self.inner.reader_pool
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

impl AuditBuilder {
    /// The audited tables (usually a `static` written with `audit_tables!`); default: every
    /// table of `public`.
    pub fn tables(mut self, tables: &Tables) -> Self {
        self.tables = *tables;
        self
    }

    /// The settings; default: `Settings::default()`.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The API-log writer's pool, instead of its own two-connection pool (e.g. to route it
    /// elsewhere). Give it a statement timeout: a stalled log table then holds only it.
    pub fn writer_pool(mut self, pool: PgPool) -> Self {
        self.writer_pool = Some(pool);
        self
    }

    /// How long [`Audit::shutdown`] waits for an unreachable database before giving up on
    /// the rows still queued.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Turns the automatic attach on (`true`) or off (`false`) at start: tables created or
    /// altered later are attached inside their DDL's transaction by an event trigger, which
    /// also records DDL in the trail. Needs a superuser; when the pool's role is not one,
    /// start logs a warning and carries on without it. Default: left as it is.
    ///
    /// ```no_run
    /// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
    /// let audit = pg_audit_runtime::Audit::builder(pool).automatic_attach(true).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn automatic_attach(mut self, on: bool) -> Self {
        self.automatic_attach = Some(on);
        self
    }

    /// Turns the DDL trail on or off at start: DDL on audited tables and on the audit schema
    /// recorded as `DDL` rows. Needs a superuser, like [`automatic_attach`](Self::automatic_attach).
    /// Default: left as it is.
    pub fn ddl_trail(mut self, on: bool) -> Self {
        self.ddl_trail = Some(on);
        self
    }

    /// How often the logs' maintenance runs in the background (partitions made
    /// [`SchemaSettings::partitions_ahead`](crate::SchemaSettings::partitions_ahead) months
    /// ahead, partitions older than [`SchemaSettings::retention`](crate::SchemaSettings::retention)
    /// dropped); default hourly, the first run at start.
    pub fn maintenance_interval(mut self, interval: Duration) -> Self {
        self.maintenance_interval = interval.max(Duration::from_secs(1));
        self
    }

    /// Applies pending migrations, attaches triggers to the declared tables (so tables
    /// added since the last start are picked up), starts the API-log writer and the logs'
    /// maintenance on the current tokio runtime.
    pub async fn start(self) -> Result<Audit> {
        self.settings.validate()?;
        let rules = TableRules::from_tables(&self.tables)?.with_settings(&self.settings.schema)?;
        migrate(&self.pool, &self.settings.schema, &rules).await?;
        let plan = attach(
            &self.pool,
            &self.settings.schema,
            &rules,
            &AttachOptions {
                automatic_attach: self.automatic_attach,
                ddl_trail: self.ddl_trail,
                ..AttachOptions::default()
            },
        )
        .await?;
        if let Some(reason) = &plan.event_triggers_refused {
            tracing::warn!(%reason, "pg-audit: automatic attach and DDL trail left unchanged");
        }
        let attempt_timeout = self.settings.writer.attempt_timeout;
        let writer_pool = self.writer_pool.unwrap_or_else(|| {
            side_pool(
                &self.pool,
                "pg-audit writer",
                WRITER_POOL_SIZE,
                attempt_timeout,
            )
        });
        let reader_pool = side_pool(
            &self.pool,
            "pg-audit viewer",
            READER_POOL_SIZE,
            READER_STATEMENT_TIMEOUT,
        );
        let writer = Writer::spawn(
            writer_pool,
            WriterConfig {
                audit_schema: self.settings.schema.audit_schema.clone(),
                capacity: self.settings.writer.queue_capacity,
                max_bytes: self.settings.writer.queue_max_bytes,
                attempt_timeout,
                batch_size: self.settings.writer.batch_size,
                flush_interval: self.settings.writer.flush_interval,
            },
        );
        let layer = Arc::new(LayerConfig::new(
            &self.settings.layer,
            writer.handle.clone(),
        ));
        let maintenance_pool = side_pool(
            &self.pool,
            "pg-audit maintenance",
            MAINTENANCE_POOL_SIZE,
            MAINTENANCE_STATEMENT_TIMEOUT,
        );
        let maintenance = tokio::spawn(run_maintenance(
            maintenance_pool,
            self.settings.schema.clone(),
            self.maintenance_interval,
        ));
        Ok(Audit {
            inner: Arc::new(AuditInner {
                pool: self.pool,
                reader_pool,
                settings: self.settings,
                layer,
                writer: Mutex::new(Some(writer)),
                final_stats: Mutex::new(None),
                shutdown_timeout: self.shutdown_timeout,
                maintenance,
            }),
        })
    }
}

/// The background maintenance: a run at start, then one every `interval`. A failed run (a
/// role that may not drop partitions, the database away) is reported through `tracing` and
/// tried again at the next tick; it never stops the application.
async fn run_maintenance(pool: PgPool, settings: SchemaSettings, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match maintain(&pool, &settings).await {
            Ok(report)
                if report.partitions_created.is_empty() && report.partitions_dropped.is_empty() => {
            }
            Ok(report) => tracing::info!(
                created = ?report.partitions_created,
                dropped = ?report.partitions_dropped,
                audit_rows_removed = report.audit_rows_removed,
                api_rows_removed = report.api_rows_removed,
                "pg-audit: log maintenance"
            ),
            Err(error) => {
                tracing::warn!(%error, "pg-audit: log maintenance failed; it runs again at the next interval")
            }
        }
    }
}
