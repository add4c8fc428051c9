//! Body wrappers: both stream every frame through untouched and copy a bounded prefix of the
//! data (at most `max_payload_size + 1` bytes, enough to tell "too large"). The response
//! wrapper queues the log row when the body ends or is dropped, whichever comes first.

use super::Pending;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

/// A bounded copy of the start of a body, and how many bytes went by in all.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub(crate) prefix: Vec<u8>,
    pub(crate) limit: usize,
    pub(crate) total: u64,
}

impl Capture {
    pub(crate) fn new(limit: usize) -> Self {
        Capture {
            prefix: Vec::new(),
            limit,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        self.total = self.total.saturating_add(data.len() as u64);
        let room = self.limit.saturating_sub(self.prefix.len());
        if room > 0 {
            let take = room.min(data.len());
            self.prefix.extend_from_slice(&data[..take]);
        }
    }
}

pin_project! {
    /// The request body the inner service receives: the client's body, unchanged, with a
    /// bounded prefix copied for the log.
    #[derive(Debug)]
    pub struct CaptureBody<B> {
        #[pin]
        inner: B,
        capture: Option<Arc<Mutex<Capture>>>,
    }
}

impl<B> CaptureBody<B> {
    pub(crate) fn new(inner: B, capture: Option<Arc<Mutex<Capture>>>) -> Self {
        CaptureBody { inner, capture }
    }
}

impl<B: Body<Data = Bytes>> Body for CaptureBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some(capture)) = (&polled, this.capture.as_ref()) {
            if let Some(data) = frame.data_ref() {
                let mut capture = capture.lock().unwrap_or_else(PoisonError::into_inner);
                capture.push(data);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Queues the request's log row when dropped (when the response body ended or was
/// dropped).
pub(crate) struct LogGuard {
    pub(crate) pending: Pending,
    pub(crate) response: Capture,
    pub(crate) status: u16,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.pending.finish(self.status, &self.response);
    }
}

pin_project! {
    #[project = InnerProj]
    enum Inner<B> {
        Body { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

pin_project! {
    /// The response body the client receives: the handler's body, streamed through
    /// unchanged (never buffered), with a bounded prefix copied for the log; the log row is
    /// queued when it ends or is dropped.
    pub struct AuditBody<B> {
        #[pin]
        inner: Inner<B>,
        guard: Option<LogGuard>,
    }
}

impl<B> std::fmt::Debug for AuditBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditBody")
            .field("logging", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

impl<B> AuditBody<B> {
    pub(crate) fn new(body: B, guard: Option<LogGuard>) -> Self {
        AuditBody {
            inner: Inner::Body { body },
            guard,
        }
    }

    pub(crate) fn full(data: Bytes, guard: Option<LogGuard>) -> Self {
        AuditBody {
            inner: Inner::Full {
                data: (!data.is_empty()).then_some(data),
            },
            guard,
        }
    }
}

impl<B> Body for AuditBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        match this.inner.project() {
            InnerProj::Full { data } => {
                let frame = data.take();
                if let (Some(data), Some(guard)) = (&frame, this.guard.as_mut()) {
                    guard.response.push(data);
                }
                if frame.is_none() {
                    this.guard.take();
                }
                Poll::Ready(frame.map(|data| Ok(Frame::data(data))))
            }
            InnerProj::Body { mut body } => {
                let polled = body.as_mut().poll_frame(cx);
                match &polled {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let (Some(data), Some(guard)) = (frame.data_ref(), this.guard.as_mut()) {
                            guard.response.push(data);
                        }
                        if body.is_end_stream() {
                            this.guard.take();
                        }
                    }
                    Poll::Ready(_) => {
                        this.guard.take();
                    }
                    Poll::Pending => {}
                }
                polled
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Body { body } => body.is_end_stream(),
            Inner::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Body { body } => body.size_hint(),
            Inner::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_a_bounded_prefix_of_a_ten_megabyte_body() {
        let mut capture = Capture::new(10_001);
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0usize;
        while sent < 10_000_000 {
            let n = chunk.len().min(10_000_000 - sent);
            capture.push(&chunk[..n]);
            sent += n;
        }
        assert_eq!(capture.total, 10_000_000);
        assert_eq!(capture.prefix.len(), 10_001);
        assert!(capture.prefix.capacity() < 64 * 1024 + 10_001);
    }

    #[test]
    fn capture_body_passes_every_byte_through() {
        use http_body_util::BodyExt;
        let shared = Arc::new(Mutex::new(Capture::new(5)));
        let body = CaptureBody::new(
            http_body_util::Full::new(Bytes::from_static(b"0123456789")),
            Some(shared.clone()),
        );
        let collected = block_on(body.collect());
        assert_eq!(&collected.unwrap().to_bytes()[..], b"0123456789");
        let capture = shared.lock().unwrap();
        assert_eq!(
            (capture.prefix.as_slice(), capture.total),
            (&b"01234"[..], 10)
        );
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(future)
    }
}
