//! The tower layer that logs every API request to `pg_api_audit_log`, made by
//! [`Audit::layer`](crate::Audit::layer).
//!
//! Per request it resolves the request id and the client address, puts a [`RequestAudit`]
//! in the request's extensions (read by `#[audited_handler]` and carried into the data audit
//! rows), echoes `x-request-id` on the response, copies a bounded prefix of both bodies
//! while streaming them through untouched, and queues the log row when the response body
//! ends or is dropped. It never waits on the database.
//!
//! The client address comes from axum's `ConnectInfo<SocketAddr>`: serve the app with
//! `into_make_service_with_connect_info::<SocketAddr>()` or the address is not recorded.

mod body;
pub(crate) mod handler;
pub(crate) mod mask;
pub(crate) mod request;
mod resolve;

pub use body::{AuditBody, CaptureBody};

use crate::layer::mask::Masker;
use crate::layer::request::RequestAudit;
use crate::settings::LayerSettings;
use crate::writer::{ApiLogRow, WriterHandle};
use axum::extract::ConnectInfo;
use body::{Capture, LogGuard};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use ipnet::IpNet;
use pin_project_lite::pin_project;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

/// The request-id header, read (when trusted) and always echoed.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every request of one layer shares.
#[derive(Debug)]
pub(crate) struct LayerConfig {
    excluded_paths: Vec<String>,
    masker: Masker,
    max_payload_size: usize,
    log_get_requests: bool,
    trusted_proxies: Vec<IpNet>,
    trust_request_id_header: bool,
    writer: WriterHandle,
}

impl LayerConfig {
    pub(crate) fn new(settings: &LayerSettings, writer: WriterHandle) -> Self {
        LayerConfig {
            excluded_paths: settings.excluded_paths.clone(),
            masker: Masker::new(&settings.sensitive_fields, &settings.unmasked_fields),
            max_payload_size: settings.max_payload_size,
            log_get_requests: settings.log_get_requests,
            trusted_proxies: settings.trusted_proxies.clone(),
            trust_request_id_header: settings.trust_request_id_header,
            writer,
        }
    }
}

/// A tower [`Layer`] logging API requests; get one from [`Audit::layer`](crate::Audit::layer)
/// and add it with `Router::layer`.
#[derive(Debug, Clone)]
pub struct AuditLayer {
    config: Arc<LayerConfig>,
}

impl AuditLayer {
    pub(crate) fn new(config: Arc<LayerConfig>) -> Self {
        AuditLayer { config }
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = AuditService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuditService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`AuditLayer`].
#[derive(Debug, Clone)]
pub struct AuditService<S> {
    inner: S,
    config: Arc<LayerConfig>,
}

/// A request on its way: everything needed to write its log row once the response is done.
pub(crate) struct Pending {
    config: Arc<LayerConfig>,
    record: RequestAudit,
    request: Arc<Mutex<Capture>>,
    request_content_length: Option<u64>,
    started: Instant,
    created_at: DateTime<Utc>,
}

impl Pending {
    /// Builds the row and queues it (unless the request is not to be logged).
    pub(crate) fn finish(&self, status: u16, response: &Capture) {
        let config = &self.config;
        let annotations = self.record.annotations();
        let method = self.record.method();
        let read_only =
            *method == Method::GET || *method == Method::HEAD || *method == Method::OPTIONS;
        if read_only && !config.log_get_requests && !annotations.log_get {
            return;
        }
        let request_payload = if annotations.skip_request_body {
            None
        } else {
            let capture = self.request.lock().unwrap_or_else(PoisonError::into_inner);
            let declared_too_large = self
                .request_content_length
                .is_some_and(|length| length > config.max_payload_size as u64);
            payload(&capture, declared_too_large, config)
        };
        let response_body = if annotations.skip_response_body {
            None
        } else {
            payload(response, false, config)
        };
        config.writer.push(ApiLogRow {
            request_id: self.record.request_id(),
            api_name: Some(
                annotations
                    .api_name
                    .unwrap_or_else(|| self.record.path().to_string()),
            ),
            http_method: method.as_str().to_string(),
            request_payload,
            response_body,
            response_code: i32::from(status),
            user_id: annotations.user_id,
            ip_address: self.record.client_ip(),
            created_at: self.created_at,
            duration_ms: self.started.elapsed().as_secs_f64() * 1000.0,
        });
    }
}

/// What is stored for a body, as JSON text: NULL when empty, the "too large" marker over the
/// limit, the "non-JSON" marker when it does not parse, else the document with sensitive
/// keys masked.
fn payload(capture: &Capture, declared_too_large: bool, config: &LayerConfig) -> Option<String> {
    if declared_too_large || capture.total > config.max_payload_size as u64 {
        return Some(
            serde_json::json!({
                "message": format!("Payload too large (>{} bytes)", config.max_payload_size)
            })
            .to_string(),
        );
    }
    if capture.prefix.is_empty() {
        return None;
    }
    match serde_json::from_slice::<serde_json::Value>(&capture.prefix) {
        Ok(mut value) => {
            config.masker.mask(&mut value);
            Some(value.to_string())
        }
        Err(_) => Some(serde_json::json!({"raw": "Non-JSON payload"}).to_string()),
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuditService<S>
where
    S: Service<Request<CaptureBody<ReqBody>>, Response = Response<ResBody>>,
    ResBody: http_body::Body<Data = Bytes>,
{
    type Response = Response<AuditBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let created_at = Utc::now();
        let config = &self.config;
        let request_id = resolve::request_id(request.headers(), config.trust_request_id_header);
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let client_ip = resolve::client_ip(peer, request.headers(), &config.trusted_proxies);
        let path = request::route_path(request.extensions());
        let record = RequestAudit::new(request_id, client_ip, request.method().clone(), path);
        request.extensions_mut().insert(record.clone());
        let mut text = uuid::Uuid::encode_buffer();
        let header = HeaderValue::from_str(request_id.hyphenated().encode_lower(&mut text)).ok();
        if let Some(header) = &header {
            request.headers_mut().insert(X_REQUEST_ID, header.clone());
        }
        let pending = if resolve::is_excluded(request.uri().path(), &config.excluded_paths) {
            None
        } else {
            let request_content_length = request
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            Some(Pending {
                config: config.clone(),
                record,
                request: Arc::new(Mutex::new(Capture::new(
                    config.max_payload_size.saturating_add(1),
                ))),
                request_content_length,
                started,
                created_at,
            })
        };
        let capture = pending.as_ref().map(|p| p.request.clone());
        let request = request.map(|body| CaptureBody::new(body, capture));
        ResponseFuture {
            inner: self.inner.call(request),
            header,
            pending: Unanswered(pending),
        }
    }
}

/// The status logged for a request whose client went away before the response was ready
/// (the handler's future was dropped): nginx's "client closed request".
pub(crate) const CLIENT_CLOSED_REQUEST: u16 = 499;

/// A request still waiting for its response. Dropped before the response is ready — the
/// client disconnected and the server dropped the handler's future — it logs the request
/// with status 499, so a request is never silently missing from the log.
struct Unanswered(Option<Pending>);

impl Unanswered {
    fn take(&mut self) -> Option<Pending> {
        self.0.take()
    }
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(pending) = self.0.take() {
            pending.finish(CLIENT_CLOSED_REQUEST, &Capture::new(0));
        }
    }
}

pin_project! {
    /// The future of an [`AuditService`] response.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        header: Option<HeaderValue>,
        pending: Unanswered,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body<Data = Bytes>,
{
    type Output = Result<Response<AuditBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let polled = catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx)));
        let limit = |pending: &Unanswered| {
            pending
                .0
                .as_ref()
                .map_or(0, |p| p.config.max_payload_size.saturating_add(1))
        };
        let guard = |pending: Option<Pending>, status: StatusCode, limit: usize| {
            pending.map(|pending| LogGuard {
                pending,
                response: Capture::new(limit),
                status: status.as_u16(),
            })
        };
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Ok(response))) => {
                let limit = limit(this.pending);
                let guard = guard(this.pending.take(), response.status(), limit);
                let mut response = response.map(|body| AuditBody::new(body, guard));
                if let Some(header) = this.header.take() {
                    response.headers_mut().insert(X_REQUEST_ID, header);
                }
                Poll::Ready(Ok(response))
            }
            Ok(Poll::Ready(Err(error))) => {
                // The connection is closed without a response: logged as 500.
                drop(guard(
                    this.pending.take(),
                    StatusCode::INTERNAL_SERVER_ERROR,
                    0,
                ));
                Poll::Ready(Err(error))
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!("pg-audit: the handler panicked: {message}; answering 500");
                let guard = guard(this.pending.take(), StatusCode::INTERNAL_SERVER_ERROR, 0);
                let mut response = Response::new(AuditBody::full(Bytes::new(), guard));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                if let Some(header) = this.header.take() {
                    response.headers_mut().insert(X_REQUEST_ID, header);
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}
