//! What the layer works out from a request before calling the handler: its request id, the
//! client's address and whether its path is excluded from the log.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use uuid::Uuid;

/// The request id: the incoming `x-request-id` when it is trusted and a valid UUID, else a
/// new UUID v7.
pub(crate) fn request_id(headers: &HeaderMap, trust_header: bool) -> Uuid {
    if trust_header {
        let mut values = headers.get_all(super::X_REQUEST_ID).iter();
        if let (Some(value), None) = (values.next(), values.next()) {
            if let Some(id) = value
                .to_str()
                .ok()
                .and_then(|text| Uuid::try_parse(text.trim()).ok())
            {
                if !id.is_nil() {
                    return id;
                }
            }
        }
    }
    Uuid::now_v7()
}

/// The client's address: the socket peer, or, when the peer is a trusted proxy, the
/// right-most address of `Forwarded` (else `X-Forwarded-For`) that is not itself a trusted
/// proxy. A malformed header is ignored.
pub(crate) fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers).or_else(|| x_forwarded_for_chain(headers));
    let Some(chain) = chain else {
        return Some(peer);
    };
    chain
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or_else(|| chain.first())
        .copied()
        .or(Some(peer))
}

/// Every address of every `X-Forwarded-For` header, left to right; `None` when there is no
/// such header or any entry is not an address.
fn x_forwarded_for_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let text = value.to_str().ok()?;
        for entry in text.split(',') {
            chain.push(parse_address(entry.trim())?);
        }
    }
    (!chain.is_empty()).then_some(chain)
}

/// The `for=` addresses of every `Forwarded` header (RFC 7239), left to right; `None` when
/// there is none or one is not an address (obfuscated or `unknown` included).
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(http::header::FORWARDED) {
        let text = value.to_str().ok()?;
        for element in text.split(',') {
            for pair in element.split(';') {
                let (key, value) = pair.split_once('=')?;
                if key.trim().eq_ignore_ascii_case("for") {
                    let value = value.trim();
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    chain.push(parse_address(value)?);
                }
            }
        }
    }
    (!chain.is_empty()).then_some(chain)
}

/// `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:8080`.
fn parse_address(text: &str) -> Option<IpAddr> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .and_then(|t| t.parse::<std::net::Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

/// Whether `path` is one of `excluded`, or below one, on whole segments: `/admin` matches
/// `/admin` and `/admin/users`, not `/administrators`.
pub(crate) fn is_excluded(path: &str, excluded: &[String]) -> bool {
    excluded.iter().any(|prefix| {
        let prefix = prefix.trim_end_matches('/');
        match path.strip_prefix(prefix) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn excluded_paths_match_whole_segments() {
        let excluded = vec!["/admin".to_string(), "/static/".to_string()];
        assert!(is_excluded("/admin", &excluded));
        assert!(is_excluded("/admin/users", &excluded));
        assert!(is_excluded("/static/app.js", &excluded));
        assert!(!is_excluded("/administrators", &excluded));
        assert!(!is_excluded("/api/admin", &excluded));
        assert!(is_excluded("/anything", &["/".to_string()]));
    }

    #[test]
    fn forwarded_headers_only_from_trusted_peers() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8, 10.0.0.7")]);
        let untrusted_peer: IpAddr = "203.0.113.9".parse().unwrap();
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            client_ip(Some(untrusted_peer), &h, &trusted),
            Some(untrusted_peer)
        );
        assert_eq!(client_ip(Some(proxy), &h, &trusted), "5.6.7.8".parse().ok());
        let bad = headers(&[("x-forwarded-for", "1.2.3.4, not-an-ip")]);
        assert_eq!(client_ip(Some(proxy), &bad, &trusted), Some(proxy));
        let fwd = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            client_ip(Some(proxy), &fwd, &trusted),
            "2001:db8::1".parse().ok()
        );
        let unknown = headers(&[("forwarded", "for=unknown"), ("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            client_ip(Some(proxy), &unknown, &trusted),
            "1.2.3.4".parse().ok()
        );
        let all_trusted = headers(&[("x-forwarded-for", "10.1.1.1, 10.2.2.2")]);
        assert_eq!(
            client_ip(Some(proxy), &all_trusted, &trusted),
            "10.1.1.1".parse().ok()
        );
    }

    #[test]
    fn request_id_header_kept_only_when_trusted_and_valid() {
        let id = "0190b2a0-7c1e-7d2a-9f00-0a1b2c3d4e5f";
        let h = headers(&[("x-request-id", id)]);
        assert_eq!(request_id(&h, true).to_string(), id);
        assert_ne!(request_id(&h, false).to_string(), id);
        let bad = headers(&[("x-request-id", "abc; DROP TABLE x")]);
        assert_eq!(request_id(&bad, true).get_version_num(), 7);
    }
}
