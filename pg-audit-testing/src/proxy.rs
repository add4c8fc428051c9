//! A TCP proxy to PostgreSQL that a test cuts, stalls and restores, and a wait for what it
//! causes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// A TCP proxy on 127.0.0.1:0 forwarding to PostgreSQL, which a test cuts (every open
/// connection dropped, new ones closed at once) and restores, or stalls (the server's
/// replies held back while the connections stay open, so a statement runs, and may commit,
/// on the server while its client waits) and resumes.
pub struct Proxy {
    /// The proxy's port.
    pub port: u16,
    cut: Arc<AtomicBool>,
    stalled: watch::Sender<bool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`host:port`, such as the server of `DATABASE_URL`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let (stalled, _) = watch::channel(false);
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (cut2, connections2, stalled2) = (cut.clone(), connections.clone(), stalled.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if cut2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let stalled = stalled2.subscribe();
                let task = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let (mut from_client, mut to_client) = client.into_split();
                        let (mut from_server, mut to_server) = server.into_split();
                        tokio::select! {
                            _ = pump(&mut from_client, &mut to_server, None) => {}
                            _ = pump(&mut from_server, &mut to_client, Some(stalled)) => {}
                        }
                    }
                });
                connections2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Proxy {
            port,
            cut,
            stalled,
            connections,
        }
    }

    /// Holds back every byte the server sends until [`Proxy::resume`]; what clients send
    /// still reaches the server.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Lets the held-back replies through again.
    pub fn resume(&self) {
        self.stalled.send_replace(false);
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies bytes one way until either side closes; with `stalled`, holds each chunk while
/// the proxy is stalled.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    mut stalled: Option<watch::Receiver<bool>>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if let Some(stalled) = stalled.as_mut() {
            if stalled.wait_for(|stalled| !stalled).await.is_err() {
                return;
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// Polls `check` every 50 ms until it holds or `limit` passes; returns whether it held.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
