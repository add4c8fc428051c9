//! The end of the process, as the operating system asks for it: a future for
//! `axum::serve(…).with_graceful_shutdown(…)`, after which the application drains the
//! API-log writer with [`Audit::shutdown`](crate::Audit::shutdown).

use std::future::Future;

/// Resolves when the process is asked to stop: on unix at SIGTERM (what systemd, Kubernetes,
/// Docker and `kill` send) or SIGINT (Ctrl-C), elsewhere at Ctrl-C.
///
/// The handlers are installed when this function is called (inside the tokio runtime), so a
/// signal that arrives while the server is still starting is not lost; from then on these
/// signals no longer end the process by themselves: the application decides, by
/// stopping the server and draining the writer. Should the handlers not be installable,
/// a `tracing` warning says so and the future never resolves (the process keeps the
/// operating system's default handling).
///
/// ```no_run
/// # async fn run(audit: pg_audit_runtime::Audit, app: axum::Router, listener: tokio::net::TcpListener) -> std::io::Result<()> {
/// axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
///     .with_graceful_shutdown(pg_audit_runtime::shutdown_signal())
///     .await?;
/// // The server has answered every request it accepted; now write every queued log row.
/// let stats = audit.shutdown().await;
/// assert_eq!(stats.lost, 0);
/// # Ok(()) }
/// ```
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    let installed = tokio::runtime::Handle::try_current()
        .is_ok()
        .then(listeners::install);
    async move {
        let listeners = match installed {
            Some(listeners) => listeners,
            None => listeners::install(),
        };
        match listeners {
            Ok(listeners) => {
                let name = listeners.received().await;
                tracing::info!(
                    "pg-audit: {name} received: stopping the server, then draining the API log"
                );
            }
            Err(error) => {
                tracing::warn!(
                    "pg-audit: cannot listen for shutdown signals ({error}); stop the process another way"
                );
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(unix)]
mod listeners {
    use tokio::signal::unix::{signal, Signal, SignalKind};

    /// The signal streams, registered with the runtime.
    pub(super) struct Listeners {
        terminate: Signal,
        interrupt: Signal,
    }

    pub(super) fn install() -> std::io::Result<Listeners> {
        Ok(Listeners {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    impl Listeners {
        /// Waits for the first signal and names it.
        pub(super) async fn received(mut self) -> &'static str {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            }
        }
    }
}

#[cfg(not(unix))]
mod listeners {
    /// Ctrl-C, registered when first awaited.
    pub(super) struct Listeners;

    pub(super) fn install() -> std::io::Result<Listeners> {
        Ok(Listeners)
    }

    impl Listeners {
        /// Waits for Ctrl-C.
        pub(super) async fn received(self) -> &'static str {
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(error) => {
                    tracing::warn!("pg-audit: cannot listen for Ctrl-C ({error}); stop the process another way");
                    std::future::pending::<&'static str>().await
                }
            }
        }
    }
}
