//! Shared by the HTTP tests: a real axum server on an ephemeral port (with `ConnectInfo`),
//! a TCP proxy to PostgreSQL that a test can cut and restore, and a raw HTTP/1.1 client for
//! requests reqwest does not make (chunked uploads).
#![allow(dead_code)] // each test binary uses its own part of this module

use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Serves `app` on 127.0.0.1 with an ephemeral port; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .ok();
    });
    format!("http://{addr}")
}

/// A TCP proxy on 127.0.0.1:0 forwarding to PostgreSQL, which a test cuts (every open
/// connection dropped, new ones closed at once) and restores.
pub struct Proxy {
    /// The proxy's port.
    pub port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Starts a proxy to the server of `DATABASE_URL` (127.0.0.1:5432 by default).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (cut2, connections2) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if cut2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        tokio::io::copy_bidirectional(&mut client, &mut server)
                            .await
                            .ok();
                    }
                });
                connections2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Proxy {
            port,
            cut,
            connections,
        }
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

/// Sends `POST path` with a chunked body of `total` bytes in `chunk`-byte pieces over a raw
/// connection and returns the whole response (head and body) as text.
pub async fn post_chunked(base: &str, path: &str, total: usize, chunk: usize) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let piece = vec![b'a'; chunk];
    let mut sent = 0;
    while sent < total {
        let n = chunk.min(total - sent);
        stream
            .write_all(format!("{n:x}\r\n").as_bytes())
            .await
            .expect("write chunk size");
        stream.write_all(&piece[..n]).await.expect("write chunk");
        stream.write_all(b"\r\n").await.expect("write chunk end");
        sent += n;
    }
    stream
        .write_all(b"0\r\n\r\n")
        .await
        .expect("write last chunk");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    String::from_utf8_lossy(&response).into_owned()
}
