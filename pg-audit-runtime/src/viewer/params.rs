//! The pages' query strings: read leniently (unknown keys ignored, the last value of a key
//! wins, blank means unset), checked strictly (a malformed value is an error the page
//! shows), and written back into links that keep every filter.

use crate::query::{
    ApiLogFilter, AuditLogFilter, Operation, StatusClass, TimeBound, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Decoded `key=value` pairs of a query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<&str>) -> Params {
        Params(
            raw.and_then(|raw| serde_urlencoded::from_str(raw).ok())
                .unwrap_or_default(),
        )
    }

    /// The last non-blank value of `key`, trimmed.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    /// Problems with values no stored text can equal (PostgreSQL text holds no NUL).
    fn nul_problems(&self, problems: &mut Problems) {
        for (key, value) in &self.0 {
            if value.contains('\0') {
                problems.0.push(format!("{key}: contains a NUL character"));
            }
        }
    }
}

/// What the user asked for, collecting every problem instead of stopping at the first.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<String>);

impl Problems {
    fn check<T>(&mut self, result: Result<T, String>) -> Option<T> {
        result.map_err(|problem| self.0.push(problem)).ok()
    }

    /// `value` when nothing was wrong, else the problems.
    fn or<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// What both list pages share: the time range, the paging cursors and the page size.
struct Window {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    before_id: Option<i64>,
    after_id: Option<i64>,
    limit: u32,
}

impl Window {
    /// Reads the form's `since`, `until` and `limit` as typed, and the cursors; also reports
    /// any value holding a NUL, which no stored text can equal.
    /// An age (`2h`) counts back from now.
    fn read(params: &Params, [since, until, limit]: [&str; 3], problems: &mut Problems) -> Window {
        params.nul_problems(problems);
        let now = Utc::now();
        Window {
            since: some(since).and_then(|t| problems.check(parse_time("since", &t, now))),
            until: some(until).and_then(|t| problems.check(parse_time("until", &t, now))),
            before_id: params
                .get(BEFORE)
                .and_then(|t| problems.check(parse_id("before", t))),
            after_id: params
                .get(AFTER)
                .and_then(|t| problems.check(parse_id("after", t))),
            limit: some(limit)
                .and_then(|t| problems.check(parse_limit(&t)))
                .unwrap_or(DEFAULT_PAGE_SIZE),
        }
    }
}

fn parse_time(label: &str, text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    text.parse::<TimeBound>()
        .and_then(|bound| bound.resolve(now))
        .map_err(|error| format!("{label}: {error}"))
}

fn parse_uuid(label: &str, text: &str) -> Result<Uuid, String> {
    Uuid::parse_str(text).map_err(|_| format!("{label}: `{text}` is not a UUID"))
}

fn parse_id(label: &str, text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(|| {
            format!(
                "{label}: `{}` is not a row id (a whole number from 0 to {})",
                cut(text),
                i64::MAX
            )
        })
}

fn parse_limit(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
        .ok_or_else(|| {
            format!(
                "limit: `{}` is not a number of rows from 1 to {MAX_PAGE_SIZE}",
                cut(text)
            )
        })
}

/// What a message quotes of a value the user typed: a value of any length cut short.
fn cut(text: &str) -> String {
    super::display::cut(text, 40)
}

fn is_checked(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "on" | "true" | "yes"))
}

/// Keys of the paging cursors, shared by every paged page.
pub(crate) const BEFORE: &str = "before";
pub(crate) const AFTER: &str = "after";

/// The Changes page's form, as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangesForm {
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) operation: String,
    pub(crate) user: String,
    pub(crate) request_id: String,
    pub(crate) record_id: String,
    pub(crate) db_user_only: bool,
    pub(crate) since: String,
    pub(crate) until: String,
    pub(crate) limit: String,
}

impl ChangesForm {
    pub(crate) fn read(params: &Params) -> ChangesForm {
        ChangesForm {
            schema: params.text("schema"),
            table: params.text("table"),
            operation: params.text("operation").to_ascii_uppercase(),
            user: params.text("user"),
            request_id: params.text("request_id"),
            record_id: params.text("record_id"),
            db_user_only: is_checked(params.get("db_user_only")),
            since: params.text("since"),
            until: params.text("until"),
            limit: params.text("limit"),
        }
    }

    /// The filter the form asks for, with the page's cursor.
    pub(crate) fn filter(&self, params: &Params) -> Result<AuditLogFilter, Problems> {
        let mut problems = Problems::default();
        let window = Window::read(
            params,
            [&self.since, &self.until, &self.limit],
            &mut problems,
        );
        let filter = AuditLogFilter {
            schema: some(&self.schema),
            table: some(&self.table),
            record_id: some(&self.record_id),
            request_id: some(&self.request_id)
                .and_then(|t| problems.check(parse_uuid("request id", &t))),
            user: some(&self.user),
            operation: some(&self.operation).and_then(|t| {
                problems.check(t.parse::<Operation>().map_err(|_| {
                    format!("operation: `{t}` is not INSERT, UPDATE, DELETE or TRUNCATE")
                }))
            }),
            db_user_only: self.db_user_only,
            since: window.since,
            until: window.until,
            before_id: window.before_id,
            after_id: window.after_id,
            limit: window.limit,
        };
        problems.or(filter)
    }

    /// The form's values as query pairs (blank ones left out), for links that keep them.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("schema", self.schema.clone()),
            ("table", self.table.clone()),
            ("operation", self.operation.clone()),
            ("user", self.user.clone()),
            ("request_id", self.request_id.clone()),
            ("record_id", self.record_id.clone()),
            ("since", self.since.clone()),
            ("until", self.until.clone()),
            ("limit", self.limit.clone()),
        ];
        if self.db_user_only {
            pairs.push(("db_user_only", "1".into()));
        }
        pairs
    }
}

/// The Requests page's form, as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestsForm {
    pub(crate) path: String,
    pub(crate) method: String,
    pub(crate) status: String,
    pub(crate) user: String,
    pub(crate) slow_ms: String,
    pub(crate) since: String,
    pub(crate) until: String,
    pub(crate) limit: String,
}

impl RequestsForm {
    pub(crate) fn read(params: &Params) -> RequestsForm {
        RequestsForm {
            path: params.text("path"),
            method: params.text("method").to_ascii_uppercase(),
            status: params.text("status").to_ascii_lowercase(),
            user: params.text("user"),
            slow_ms: params.text("slow_ms"),
            since: params.text("since"),
            until: params.text("until"),
            limit: params.text("limit"),
        }
    }

    /// The filter the form asks for, with the page's cursor.
    pub(crate) fn filter(&self, params: &Params) -> Result<ApiLogFilter, Problems> {
        let mut problems = Problems::default();
        let window = Window::read(
            params,
            [&self.since, &self.until, &self.limit],
            &mut problems,
        );
        let slow = some(&self.slow_ms).and_then(|t| {
            problems.check(match t.parse::<f64>() {
                Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(ms),
                _ => Err(format!("slow: `{t}` is not a number of milliseconds")),
            })
        });
        let filter = ApiLogFilter {
            path: some(&self.path),
            method: some(&self.method),
            status_class: some(&self.status).and_then(|t| {
                problems.check(
                    t.parse::<StatusClass>()
                        .map_err(|_| format!("status: `{t}` is not 1xx, 2xx, 3xx, 4xx or 5xx")),
                )
            }),
            min_status: None,
            user: some(&self.user),
            min_duration_ms: slow,
            request_id: None,
            since: window.since,
            until: window.until,
            before_id: window.before_id,
            after_id: window.after_id,
            limit: window.limit,
        };
        problems.or(filter)
    }

    /// The form's values as query pairs, for links that keep them.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("path", self.path.clone()),
            ("method", self.method.clone()),
            ("status", self.status.clone()),
            ("user", self.user.clone()),
            ("slow_ms", self.slow_ms.clone()),
            ("since", self.since.clone()),
            ("until", self.until.clone()),
            ("limit", self.limit.clone()),
        ]
    }
}

/// The record a history page shows.
#[derive(Debug, Clone)]
pub(crate) struct RecordKey {
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) id: String,
}

impl RecordKey {
    pub(crate) fn read(params: &Params) -> Result<(RecordKey, Option<i64>, Option<i64>), Problems> {
        let mut problems = Problems::default();
        params.nul_problems(&mut problems);
        let mut required = |key: &str| {
            let value = params.get(key).map(str::to_string);
            if value.is_none() {
                problems.0.push(format!(
                    "{key}: missing; a record is named by schema, table and id"
                ));
            }
            value.unwrap_or_default()
        };
        let key = RecordKey {
            schema: required("schema"),
            table: required("table"),
            id: required("id"),
        };
        let before = params
            .get(BEFORE)
            .and_then(|t| problems.check(parse_id("before", t)));
        let after = params
            .get(AFTER)
            .and_then(|t| problems.check(parse_id("after", t)));
        problems.or((key, before, after))
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("schema", self.schema.clone()),
            ("table", self.table.clone()),
            ("id", self.id.clone()),
        ]
    }
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// A link to `path` under the viewer's base, with the non-blank pairs as its query.
pub(crate) fn href(base: &str, path: &str, pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let mut link = format!("{base}{path}");
    if link.is_empty() {
        link.push('/');
    }
    if !kept.is_empty() {
        link.push('?');
        link.push_str(&serde_urlencoded::to_string(&kept).unwrap_or_default());
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_non_blank_value_of_a_key_wins_and_unknown_keys_are_ignored() {
        let params = Params::parse(Some("user=a&user=b&user=%20&junk=1&table="));
        assert_eq!(params.get("user"), Some("b"));
        assert_eq!(params.get("table"), None);
        assert_eq!(Params::parse(Some("%%%&=&&")).get("user"), None);
    }

    #[test]
    fn every_malformed_value_is_reported_at_once() {
        let params = Params::parse(Some(
            "request_id=nope&operation=MERGE&since=yesterday&before=x&limit=-1",
        ));
        let problems = ChangesForm::read(&params).filter(&params).unwrap_err();
        assert_eq!(problems.0.len(), 5, "{:?}", problems.0);
        assert!(problems.0.iter().any(|p| p.contains("request id")));
    }

    #[test]
    fn browser_times_are_read_as_utc() {
        let now = Utc::now();
        let at = parse_time("since", "2026-01-31T09:30", now).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T09:30:00+00:00");
        assert_eq!(
            parse_time("since", "2026-01-31T10:30:00+01:00", now).unwrap(),
            at
        );
        assert_eq!(
            parse_time("until", "2026-02-01", now).unwrap().to_rfc3339(),
            "2026-02-01T00:00:00+00:00"
        );
    }

    #[test]
    fn links_keep_filters_encoded_and_drop_blank_ones() {
        let link = href(
            "/audit",
            "/record",
            &[("table", "a&b c".into()), ("id", String::new())],
        );
        assert_eq!(link, "/audit/record?table=a%26b+c");
        assert_eq!(href("", "", &[]), "/");
    }

    #[test]
    fn a_negative_or_non_numeric_slow_threshold_is_refused() {
        for bad in ["-1", "NaN", "inf", "fast"] {
            let params = Params::parse(Some(&format!("slow_ms={bad}")));
            assert!(
                RequestsForm::read(&params).filter(&params).is_err(),
                "{bad}"
            );
        }
    }
}
