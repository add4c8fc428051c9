//! The pages: each handler reads its query string, runs one or two queries of the query
//! API, and renders a template from rows prepared for display.

use super::chart::{Chart, Timeline, OPERATIONS, STATUS_CLASSES};
use super::display::{self, Diff, Shown};
use super::params::{href, ChangesForm, Params, Problems, RecordKey, RequestsForm, AFTER, BEFORE};
use super::restore::{restore, Restore};
use super::ViewerSource;
use crate::error::Error;
use crate::query::{
    self, ApiLogEntry, ApiLogFilter, AuditLogEntry, AuditLogFilter, Operation, Page, SearchBudget,
    Searched, StatusClass, MAX_PAGE_SIZE,
};
use crate::schema::catalog::writable_table;
use askama::Template;
use axum::extract::{FromRequestParts, NestedPath, Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use http::request::Parts;
use http::StatusCode;
use std::convert::Infallible;
use uuid::Uuid;

/// Changes of one record shown per history page.
const HISTORY_PAGE_SIZE: u32 = 100;

/// Data changes of one request shown on its page.
const REQUEST_CHANGES: u32 = 200;

/// The window a chart shows when the form gives no start: this long before its end.
const DEFAULT_CHART_WINDOW: Duration = Duration::hours(24);

/// The longest window a chart spans (in days, one bar each); a longer one is charted for
/// its last days and the chart says so.
const MAX_CHART_DAYS: i64 = 92;

/// The window a list page's chart shows: the form's, the last 24 hours by default, at most
/// [`MAX_CHART_DAYS`] long; with a note when the form's window was cut.
fn chart_window(
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>, Option<String>) {
    let until = until.unwrap_or(now);
    let since = since.unwrap_or(until - DEFAULT_CHART_WINDOW);
    let longest = Duration::days(MAX_CHART_DAYS);
    if until - since > longest {
        let note = format!(
            "The chart shows the last {MAX_CHART_DAYS} days of the window (from {}); the list below covers all of it.",
            display::time(until - longest)
        );
        (until - longest, until, Some(note))
    } else {
        (since, until, None)
    }
}

/// What the filters of the Changes page select, for the chart's title.
fn changes_subject(filter: &AuditLogFilter) -> String {
    let mut subject = String::new();
    match (&filter.schema, &filter.table) {
        (Some(schema), Some(table)) => subject.push_str(&format!(" of {schema}.{table}")),
        (None, Some(table)) => subject.push_str(&format!(" of table {table}")),
        (Some(schema), None) => subject.push_str(&format!(" in schema {schema}")),
        (None, None) => {}
    }
    if let Some(record) = &filter.record_id {
        subject.push_str(&format!(", record {record}"));
    }
    if let Some(operation) = filter.operation {
        subject.push_str(&format!(", {operation} only"));
    }
    if let Some(user) = &filter.user {
        subject.push_str(&format!(", by {user}"));
    }
    if filter.db_user_only {
        subject.push_str(", DB-user writes");
    }
    if let Some(request) = filter.request_id {
        subject.push_str(&format!(", request {request}"));
    }
    subject
}

/// What the filters of the Requests page select, for the chart's title.
fn requests_subject(filter: &ApiLogFilter) -> String {
    let mut subject = String::new();
    match (&filter.method, &filter.path) {
        (Some(method), Some(path)) => subject.push_str(&format!(" of {method} {path}")),
        (None, Some(path)) => subject.push_str(&format!(" of {path}")),
        (Some(method), None) => subject.push_str(&format!(" of {method} requests")),
        (None, None) => {}
    }
    if let Some(class) = filter.status_class {
        subject.push_str(&format!(", {class} only"));
    }
    if let Some(user) = &filter.user {
        subject.push_str(&format!(", by {user}"));
    }
    if let Some(ms) = filter.min_duration_ms {
        subject.push_str(&format!(", slower than {ms} ms"));
    }
    subject
}

/// Where the viewer is mounted, so that its links work under any nest prefix.
pub(crate) struct Base(String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let prefix = parts
            .extensions
            .get::<NestedPath>()
            .map(|p| p.as_str().trim_end_matches('/'))
            .unwrap_or_default();
        Ok(Base(prefix.to_string()))
    }
}

impl Base {
    fn link(&self, path: &str, pairs: &[(&str, String)]) -> String {
        href(&self.0, path, pairs)
    }

    fn nav(&self, current: &'static str) -> Nav {
        Nav {
            changes: self.link("", &[]),
            requests: self.link("/requests", &[]),
            current,
        }
    }

    fn record(&self, entry: &AuditLogEntry) -> Option<String> {
        let id = entry.record_id.clone()?;
        Some(self.link(
            "/record",
            &[
                ("schema", entry.schema_name.clone()),
                ("table", entry.table_name.clone()),
                ("id", id),
            ],
        ))
    }

    fn request(&self, request_id: Uuid) -> String {
        self.link(&format!("/requests/{request_id}"), &[])
    }
}

/// The links of the navigation bar.
pub(crate) struct Nav {
    pub(crate) changes: String,
    pub(crate) requests: String,
    /// Which page is open: `"changes"` or `"requests"`.
    pub(crate) current: &'static str,
}

/// One data change as a row of a page.
pub(crate) struct ChangeRow {
    pub(crate) id: i64,
    pub(crate) time: String,
    pub(crate) operation: String,
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) record_id: Option<String>,
    pub(crate) history_href: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) is_db_user: bool,
    pub(crate) db_user: Option<String>,
    pub(crate) application: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) api: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) request_href: Option<String>,
    pub(crate) changed: String,
    pub(crate) context: Option<String>,
    pub(crate) diff: Diff,
    /// The SQL restoring the version this change left (record pages only).
    pub(crate) restore: Option<Restore>,
}

impl ChangeRow {
    fn new(base: &Base, entry: &AuditLogEntry) -> ChangeRow {
        let api = match (&entry.http_method, &entry.api_name) {
            (Some(method), Some(name)) => Some(format!("{method} {name}")),
            (method, name) => method.clone().or_else(|| name.clone()),
        };
        ChangeRow {
            id: entry.id,
            time: display::time(entry.updated_at),
            operation: entry.operation.clone(),
            schema: entry.schema_name.clone(),
            table: entry.table_name.clone(),
            record_id: entry.record_id.clone(),
            history_href: base.record(entry),
            user: entry.updated_by.clone(),
            is_db_user: entry.is_db_user,
            db_user: entry.db_user.clone(),
            application: entry
                .application_name
                .clone()
                .filter(|name| !name.is_empty()),
            ip: entry.ip_address.map(|ip| ip.to_string()),
            api,
            request_id: entry.request_id.map(|id| id.to_string()),
            request_href: entry.request_id.map(|id| base.request(id)),
            changed: entry.changed_field_names().join(", "),
            context: entry
                .context
                .as_ref()
                .filter(|c| !c.is_null())
                .map(|c| display::compact(c, 500)),
            diff: Diff::of(entry),
            restore: None,
        }
    }

    /// The CSS class of the operation's badge.
    pub(crate) fn op_class(&self) -> &'static str {
        match self.operation.as_str() {
            "INSERT" => "op-insert",
            "UPDATE" => "op-update",
            "DELETE" => "op-delete",
            _ => "op-other",
        }
    }
}

/// One API request as a row of a page.
pub(crate) struct RequestRow {
    pub(crate) id: i64,
    pub(crate) time: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) status: String,
    pub(crate) status_class: &'static str,
    pub(crate) duration: String,
    pub(crate) user: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) request_href: Option<String>,
    pub(crate) payload: Shown,
    pub(crate) response: Shown,
}

impl RequestRow {
    fn new(base: &Base, entry: &ApiLogEntry) -> RequestRow {
        RequestRow {
            id: entry.id,
            time: display::time(entry.created_at),
            method: entry.http_method.clone().unwrap_or_default(),
            path: entry.api_name.clone().unwrap_or_default(),
            status: entry
                .response_code
                .map(|code| code.to_string())
                .unwrap_or_default(),
            status_class: match entry.response_code {
                Some(100..=299) => "status-ok",
                Some(300..=399) => "status-redirect",
                Some(400..=499) => "status-client",
                Some(500..=599) => "status-server",
                _ => "status-other",
            },
            duration: entry
                .duration_ms
                .map(|ms| format!("{ms:.1} ms"))
                .unwrap_or_default(),
            user: entry.user_id.clone(),
            ip: entry.ip_address.map(|ip| ip.to_string()),
            request_id: entry.request_id.map(|id| id.to_string()),
            request_href: entry.request_id.map(|id| base.request(id)),
            payload: display::body(entry.request_payload.as_ref()),
            response: display::body(entry.response_body.as_ref()),
        }
    }
}

/// Links to the neighbouring pages, keeping the filters.
pub(crate) struct Pager {
    pub(crate) newer: Option<String>,
    pub(crate) older: Option<String>,
}

impl Pager {
    fn new<T>(
        base: &Base,
        path: &str,
        pairs: Vec<(&'static str, String)>,
        page: &Page<T>,
    ) -> Pager {
        let with = |key: &'static str, id: i64| {
            let mut pairs = pairs.clone();
            pairs.push((key, id.to_string()));
            base.link(path, &pairs)
        };
        Pager {
            newer: page.newer.map(|id| with(AFTER, id)),
            older: page.older.map(|id| with(BEFORE, id)),
        }
    }
}

#[derive(Template)]
#[template(path = "viewer/changes.html")]
pub(crate) struct ChangesPage {
    title: String,
    nav: Nav,
    action: String,
    form: ChangesForm,
    operations: [Operation; 6],
    problems: Vec<String>,
    chart: Option<Chart>,
    rows: Vec<ChangeRow>,
    /// Said when the search stopped at its budget before filling the page.
    stopped: Option<StoppedNote>,
    pager: Pager,
}

/// Where the search of a list page stopped, in words, with the link that searches on.
pub(crate) struct StoppedNote {
    pub(crate) text: String,
    pub(crate) href: String,
    pub(crate) label: String,
}

impl StoppedNote {
    /// The note of a page whose search stopped, `found` rows of `noun` ("changes",
    /// "requests") shown, with the page's cursor onwards; `None` without a search onwards.
    fn new(stopped: &Searched, found: usize, noun: &str, pager: &Pager) -> Option<StoppedNote> {
        let (way, onwards, href) = if stopped.towards_newer {
            ("up to", "newer", pager.newer.clone())
        } else {
            ("back to", "older", pager.older.clone())
        };
        let found = match found {
            0 => "none of them matches".to_string(),
            1 => "1 of them matches, shown below".to_string(),
            n => format!("{n} of them match, shown below"),
        };
        Some(StoppedNote {
            text: format!(
                "The search read {} {noun}, {way} #{} (written {}): {found}. It stops there to keep the page fast; the {noun} beyond it were not searched.",
                stopped.rows,
                stopped.edge_id,
                display::time(stopped.edge_time)
            ),
            href: href?,
            label: format!("Search {onwards} {noun} →"),
        })
    }
}

#[derive(Template)]
#[template(path = "viewer/record.html")]
pub(crate) struct RecordPage {
    title: String,
    nav: Nav,
    key: RecordKey,
    table_href: String,
    timeline: Option<Timeline>,
    rows: Vec<ChangeRow>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "viewer/requests.html")]
pub(crate) struct RequestsPage {
    title: String,
    nav: Nav,
    action: String,
    form: RequestsForm,
    classes: [StatusClass; 5],
    problems: Vec<String>,
    chart: Option<Chart>,
    rows: Vec<RequestRow>,
    /// Said when the search stopped at its budget before filling the page.
    stopped: Option<StoppedNote>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "viewer/request.html")]
pub(crate) struct RequestPage {
    title: String,
    nav: Nav,
    request_id: String,
    requests: Vec<RequestRow>,
    changes: Vec<ChangeRow>,
    all_changes_href: Option<String>,
}

#[derive(Template)]
#[template(path = "viewer/error.html")]
pub(crate) struct ErrorPage {
    title: String,
    nav: Nav,
    problems: Vec<String>,
}

/// Renders a page, or a plain 500 should a template ever fail.
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "pg-audit viewer: a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error: the page could not be rendered\n",
            )
                .into_response()
        }
    }
}

fn bad_request(base: &Base, current: &'static str, problems: Problems) -> Response {
    let error = ErrorPage {
        title: "Bad request".into(),
        nav: base.nav(current),
        problems: problems.0,
    };
    page(StatusCode::BAD_REQUEST, &error)
}

/// A failed read: setup problems (missing tables) are shown as they are, anything else is
/// logged and summarised, so database internals do not reach the page.
fn read_failed(base: &Base, current: &'static str, error: Error) -> Response {
    let message = match &error {
        Error::Invalid { .. } => error.to_string(),
        _ => {
            tracing::error!(%error, "pg-audit viewer: reading the audit log failed");
            "The audit log could not be read; the server log has the details.".to_string()
        }
    };
    let error = ErrorPage {
        title: "Audit log unavailable".into(),
        nav: base.nav(current),
        problems: vec![message],
    };
    page(StatusCode::INTERNAL_SERVER_ERROR, &error)
}

/// The Changes page: the data audit log with filters.
pub(crate) async fn changes(
    State(source): State<ViewerSource>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let form = ChangesForm::read(&params);
    let mut template = ChangesPage {
        title: "Changes".into(),
        nav: base.nav("changes"),
        action: base.link("", &[]),
        form,
        operations: Operation::ALL,
        problems: Vec::new(),
        chart: None,
        rows: Vec::new(),
        stopped: None,
        pager: Pager {
            newer: None,
            older: None,
        },
    };
    // A malformed filter shows the form again with what is wrong, and no rows.
    let filter = match template.form.filter(&params) {
        Ok(filter) => filter,
        Err(problems) => {
            template.problems = problems.0;
            return page(StatusCode::BAD_REQUEST, &template);
        }
    };
    let (since, until, window_note) = chart_window(filter.since, filter.until, Utc::now());
    // The page and its chart are read at once, on two of the pool's connections; the page
    // within a budget, so that no filter can make it walk the whole log.
    let (search, activity) = tokio::join!(
        query::search_audit_log(
            source.pool(),
            source.audit_schema(),
            &filter,
            SearchBudget::default()
        ),
        query::audit_activity(source.pool(), source.audit_schema(), &filter, since, until),
    );
    let (search, activity) = match (search, activity) {
        (Ok(search), Ok(activity)) => (search, activity),
        (Err(error), _) | (_, Err(error)) => return read_failed(&base, "changes", error),
    };
    let found = search.page;
    let mut chart = Chart::new(
        "activity",
        &activity,
        &OPERATIONS,
        "changes",
        &changes_subject(&filter),
    );
    chart.notes.extend(window_note);
    template.chart = Some(chart);
    template.pager = Pager::new(&base, "", template.form.pairs(), &found);
    template.stopped = search.stopped.as_ref().and_then(|stopped| {
        StoppedNote::new(stopped, found.entries.len(), "changes", &template.pager)
    });
    template.rows = found
        .entries
        .iter()
        .map(|entry| ChangeRow::new(&base, entry))
        .collect();
    page(StatusCode::OK, &template)
}

/// The history of one record: every change of the row, newest first, as diffs.
pub(crate) async fn record(
    State(source): State<ViewerSource>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let (key, before_id, after_id) = match RecordKey::read(&params) {
        Ok(read) => read,
        Err(problems) => return bad_request(&base, "changes", problems),
    };
    let filter = AuditLogFilter {
        before_id,
        after_id,
        limit: HISTORY_PAGE_SIZE,
        ..AuditLogFilter::record(key.schema.clone(), key.table.clone(), key.id.clone())
    };
    // The history, and the table as it is now, for the statements that restore a version.
    let (found, table) = tokio::join!(
        query::audit_log(source.pool(), source.audit_schema(), &filter),
        writable_table(source.pool(), &key.schema, &key.table),
    );
    let (found, table) = match (found, table) {
        (Ok(found), Ok(table)) => (found, table),
        (Err(error), _) | (_, Err(error)) => return read_failed(&base, "changes", error),
    };
    let template = RecordPage {
        title: format!("{}.{} {}", key.schema, key.table, key.id),
        nav: base.nav("changes"),
        table_href: base.link(
            "",
            &[("schema", key.schema.clone()), ("table", key.table.clone())],
        ),
        pager: Pager::new(&base, "/record", key.pairs(), &found),
        timeline: Timeline::new(&found.entries),
        rows: found
            .entries
            .iter()
            .map(|entry| ChangeRow {
                restore: Some(restore(entry, table.as_ref())),
                ..ChangeRow::new(&base, entry)
            })
            .collect(),
        key,
    };
    page(StatusCode::OK, &template)
}

/// The Requests page: the API log with filters.
pub(crate) async fn requests(
    State(source): State<ViewerSource>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let form = RequestsForm::read(&params);
    let mut template = RequestsPage {
        title: "Requests".into(),
        nav: base.nav("requests"),
        action: base.link("/requests", &[]),
        form,
        classes: StatusClass::ALL,
        problems: Vec::new(),
        chart: None,
        rows: Vec::new(),
        stopped: None,
        pager: Pager {
            newer: None,
            older: None,
        },
    };
    let filter = match template.form.filter(&params) {
        Ok(filter) => filter,
        Err(problems) => {
            template.problems = problems.0;
            return page(StatusCode::BAD_REQUEST, &template);
        }
    };
    let (since, until, window_note) = chart_window(filter.since, filter.until, Utc::now());
    let (search, activity) = tokio::join!(
        query::search_api_log(
            source.pool(),
            source.audit_schema(),
            &filter,
            SearchBudget::default()
        ),
        query::api_activity(source.pool(), source.audit_schema(), &filter, since, until),
    );
    let (search, activity) = match (search, activity) {
        (Ok(search), Ok(activity)) => (search, activity),
        (Err(error), _) | (_, Err(error)) => return read_failed(&base, "requests", error),
    };
    let found = search.page;
    let mut chart = Chart::new(
        "request-activity",
        &activity,
        &STATUS_CLASSES,
        "requests",
        &requests_subject(&filter),
    );
    chart.notes.extend(window_note);
    template.chart = Some(chart);
    template.pager = Pager::new(&base, "/requests", template.form.pairs(), &found);
    template.stopped = search.stopped.as_ref().and_then(|stopped| {
        StoppedNote::new(stopped, found.entries.len(), "requests", &template.pager)
    });
    template.rows = found
        .entries
        .iter()
        .map(|entry| RequestRow::new(&base, entry))
        .collect();
    page(StatusCode::OK, &template)
}

/// One request: its logged bodies and every data change it made.
pub(crate) async fn request(
    State(source): State<ViewerSource>,
    base: Base,
    Path(request_id): Path<String>,
) -> Response {
    let Ok(request_id) = Uuid::parse_str(request_id.trim()) else {
        let shown = display::cut(&request_id, 80);
        return bad_request(
            &base,
            "requests",
            Problems(vec![format!("request id: `{shown}` is not a UUID")]),
        );
    };
    let logged = query::ApiLogFilter {
        request_id: Some(request_id),
        limit: MAX_PAGE_SIZE,
        ..Default::default()
    };
    let logged = match query::api_log(source.pool(), source.audit_schema(), &logged).await {
        Ok(found) => found,
        Err(error) => return read_failed(&base, "requests", error),
    };
    let changes = AuditLogFilter::by_request(request_id).limit(REQUEST_CHANGES);
    let changes = match query::audit_log(source.pool(), source.audit_schema(), &changes).await {
        Ok(found) => found,
        Err(error) => return read_failed(&base, "requests", error),
    };
    let template = RequestPage {
        title: format!("Request {request_id}"),
        nav: base.nav("requests"),
        request_id: request_id.to_string(),
        requests: logged
            .entries
            .iter()
            .map(|entry| RequestRow::new(&base, entry))
            .collect(),
        changes: changes
            .entries
            .iter()
            .map(|entry| ChangeRow::new(&base, entry))
            .collect(),
        all_changes_href: changes
            .older
            .map(|_| base.link("", &[("request_id", request_id.to_string())])),
    };
    page(StatusCode::OK, &template)
}
