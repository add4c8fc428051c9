//! A router served on a real loopback socket, and the one HTTP client the tests read pages
//! with (reqwest, which tests also use directly for JSON requests).

use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body::Frame;
use http_body_util::StreamBody;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serves `app` on 127.0.0.1 with an ephemeral port until the caller's runtime ends; handlers
/// can extract `ConnectInfo<SocketAddr>`. Returns the address (`http://{addr}` is its base).
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .ok();
    });
    addr
}

/// A response as the client saw it: status, headers and the whole body as text.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, decoded as UTF-8.
    pub body: String,
}

impl Reply {
    /// The value of a header (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The `data-id` attributes of the body, in page order: the rows a page shows.
    pub fn row_ids(&self) -> Vec<i64> {
        self.body
            .split("data-id=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect()
    }

    /// The target of the first link with this `rel`, unescaped from HTML.
    pub fn link(&self, rel: &str) -> Option<String> {
        let marker = format!("rel=\"{rel}\"");
        let tag_end = self.body.find(&marker)?;
        let tag_start = self.body[..tag_end].rfind("<a ")?;
        let href = self.body[tag_start..tag_end]
            .split("href=\"")
            .nth(1)?
            .split('"')
            .next()?;
        Some(unescape(href))
    }

    /// Every tag of the body that begins with `start` (such as `<rect class="bar`), as its
    /// attributes: name → value, unescaped from HTML.
    pub fn tags(&self, start: &str) -> Vec<std::collections::HashMap<String, String>> {
        self.body
            .split(start)
            .skip(1)
            .map(|rest| {
                let mut tag = rest.split('>').next().unwrap_or_default();
                let mut attributes = std::collections::HashMap::new();
                while let Some(at) = tag.find("=\"") {
                    let name = tag[..at].rsplit([' ', '"']).next().unwrap_or_default();
                    let value_and_rest = &tag[at + 2..];
                    let end = value_and_rest.find('"').unwrap_or(value_and_rest.len());
                    attributes.insert(name.to_string(), unescape(&value_and_rest[..end]));
                    tag = &value_and_rest[(end + 1).min(value_and_rest.len())..];
                }
                attributes
            })
            .collect()
    }

    /// Every link target with this class, unescaped from HTML.
    pub fn links_of_class(&self, class: &str) -> Vec<String> {
        let marker = format!("class=\"{class}\" href=\"");
        self.body
            .split(&marker)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(unescape)
            .collect()
    }
}

/// Undoes the HTML escaping of an attribute value or text (named and numeric entities).
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A client that opens a connection per request, as a browser's first visit does, so no
/// pooled connection outlives the test's runtime and a timed request includes its connect.
/// It follows no redirect: a test sees the answer the server gave.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Sends `method target` (path and query, sent as written) with these headers and no
/// body, and reads the whole response.
pub async fn send(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = client().request(method, format!("http://{addr}{target}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.expect("send the request")).await
}

/// Sends `POST target` with a form body (`application/x-www-form-urlencoded`, given
/// encoded, as a browser sends a form) and these headers, and reads the whole response.
pub async fn post_form(
    addr: SocketAddr,
    target: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = client()
        .post(format!("http://{addr}{target}"))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.expect("send the form")).await
}

/// GET `target`.
pub async fn get(addr: SocketAddr, target: &str) -> Reply {
    send(addr, "GET", target, &[]).await
}

/// Sends `POST path` with a chunked body (no `Content-Length`) of `total` bytes `a` in
/// `chunk`-byte pieces, so the server only learns the size by reading it all.
pub async fn post_chunked(addr: SocketAddr, path: &str, total: usize, chunk: usize) -> Reply {
    let piece = Bytes::from(vec![b'a'; chunk]);
    let frames = (0..total.div_ceil(chunk)).map(move |i| {
        let size = chunk.min(total - i * chunk);
        Ok::<_, Infallible>(Frame::data(piece.slice(..size)))
    });
    // A stream's size is unknown, so the body goes out with `Transfer-Encoding: chunked`.
    let body = StreamBody::new(futures_util::stream::iter(frames));
    let request = client()
        .post(format!("http://{addr}{path}"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(reqwest::Body::wrap(body));
    read(request.send().await.expect("send the request")).await
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("read the response body");
    Reply {
        status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;

    #[tokio::test]
    async fn post_chunked_sends_the_whole_body_without_a_content_length() {
        let app = Router::new().route(
            "/size",
            post(|headers: HeaderMap, body: Bytes| async move {
                format!(
                    "{} {:?} {:?}",
                    body.len(),
                    headers.get(http::header::CONTENT_LENGTH),
                    headers.get(http::header::TRANSFER_ENCODING),
                )
            }),
        );
        let addr = serve(app).await;
        let reply = post_chunked(addr, "/size", 100_001, 1000).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "100001 None Some(\"chunked\")");
    }

    #[tokio::test]
    async fn send_uses_the_method_headers_and_target_as_written() {
        let app = Router::new().fallback(|request: axum::extract::Request| async move {
            let token = request.headers().get("authorization").cloned();
            format!("{} {} {token:?}", request.method(), request.uri())
        });
        let addr = serve(app).await;
        let reply = send(
            addr,
            "DELETE",
            "/a?t=%FF%00",
            &[("Authorization", "Bearer x")],
        )
        .await;
        assert_eq!(reply.body, "DELETE /a?t=%FF%00 Some(\"Bearer x\")");
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
    }
}
