//! The quickstart as a person meets it, against a real PostgreSQL: its sign-in page over
//! real HTTP, its demo's output, and a headless Chromium that signs in through the form and
//! browses the viewer's pages and pictures, saving screenshots under
//! `target/viewer-e2e/`.

use super::*;
use futures_util::{FutureExt, StreamExt};
use pg_audit_testing::chromiumoxide::cdp::browser_protocol::page::EventJavascriptDialogOpening;
use pg_audit_testing::chromiumoxide::Page;
use pg_audit_testing::{
    click_and_wait, eventually, fresh_db, get, post_form, screenshot, send, serve, text_of,
    type_into, url_of, Browser, TestDb,
};
use std::path::PathBuf;

/// The quickstart served on a loopback port over a fresh database.
async fn quickstart(db: &TestDb, session_lifetime: Duration) -> (SocketAddr, Audit) {
    let audit = start(&db.pool).await.expect("start pg-audit");
    let app = app(db.pool.clone(), &audit, session_lifetime).expect("the quickstart app");
    (serve(app).await, audit)
}

const RIGHT: &str = "username=alice&password=wonderland&next=%2Faudit%2Frequests";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_gets_an_error_and_no_cookie() {
    let db = fresh_db!().await;
    let (addr, _audit) = quickstart(&db, SESSION_LIFETIME).await;
    let form = get(addr, "/sign-in?next=%2Faudit").await;
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains(r#"<form method="post" action="/sign-in""#));
    assert!(form.body.contains(r#"name="next" value="/audit""#));
    assert!(form.header("content-security-policy").is_some_and(|csp| csp
        .contains("default-src 'none'")
        && csp.contains("form-action 'self'")));
    for body in [
        "username=alice&password=guess&next=%2Faudit",
        "username=bob&password=wonderland&next=%2Faudit",
        "username=alice&password=&next=%2Faudit",
    ] {
        let reply = post_form(addr, "/sign-in", body, &[]).await;
        assert_eq!(reply.status, 401, "{body}");
        assert!(reply.header("set-cookie").is_none(), "{body}: no cookie");
        assert!(
            reply.body.contains("Wrong user name or password."),
            "{body}: {}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_a_strict_http_only_session_cookie_that_opens_the_viewer() {
    let db = fresh_db!().await;
    let (addr, _audit) = quickstart(&db, SESSION_LIFETIME).await;
    let signed_in = post_form(addr, "/sign-in", RIGHT, &[]).await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/audit/requests"));
    let cookie = signed_in.header("set-cookie").expect("a session cookie");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&flag), "{flag} in {cookie}");
    }
    let session = attributes[0];
    let id = session
        .strip_prefix("quickstart_session=")
        .expect("the session cookie");
    assert_eq!(id.len(), 64, "a 64-hex-digit random id");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));

    for route in ["/audit", "/audit/requests", "/audit?operation=INSERT"] {
        let page = send(addr, "GET", route, &[("Cookie", session)]).await;
        assert_eq!(page.status, 200, "{route}: {}", page.body);
    }
    // A second sign-in is a different session.
    let again = post_form(addr, "/sign-in", RIGHT, &[]).await;
    assert_ne!(again.header("set-cookie"), Some(cookie));
    // `next` only leads to a page of this site.
    let away = post_form(
        addr,
        "/sign-in",
        "username=alice&password=wonderland&next=%2F%2Fevil.example%2F",
        &[],
    )
    .await;
    assert_eq!(away.header("location"), Some("/audit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_live_session_a_browser_is_sent_to_sign_in_and_a_bad_token_is_refused() {
    let db = fresh_db!().await;
    let (addr, _audit) = quickstart(&db, Duration::from_secs(1)).await;
    for headers in [
        &[][..],
        &[("Cookie", "quickstart_session=forged")][..],
        &[("Cookie", "other=1")][..],
    ] {
        let reply = send(addr, "GET", "/audit/requests?status=5xx", headers).await;
        assert_eq!(reply.status, 303, "{headers:?}");
        assert_eq!(
            reply.header("location"),
            Some("/sign-in?next=%2Faudit%2Frequests%3Fstatus%3D5xx"),
            "{headers:?}"
        );
    }
    // A session past its lifetime is no session.
    let signed_in = post_form(addr, "/sign-in", RIGHT, &[]).await;
    let cookie = signed_in
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        send(addr, "GET", "/audit", &[("Cookie", &cookie)])
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let expired = send(addr, "GET", "/audit", &[("Cookie", &cookie)]).await;
    assert_eq!(expired.status, 303);
    assert_eq!(expired.header("location"), Some("/sign-in?next=%2Faudit"));

    // API clients: the bearer token of POST /login opens the viewer; a wrong one is a 403.
    let bearer = sign_in_token(addr).await;
    assert_eq!(
        send(addr, "GET", "/audit", &[("Authorization", &bearer)])
            .await
            .status,
        200
    );
    let refused = send(addr, "GET", "/audit", &[("Authorization", "Bearer forged")]).await;
    assert_eq!(refused.status, 403);
}

/// The UUIDs in `text`, in order.
fn uuids(text: &str) -> Vec<uuid::Uuid> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|word| word.len() == 36)
        .filter_map(|word| uuid::Uuid::parse_str(word).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_whole_request_ids_that_the_viewer_filter_takes() {
    let db = fresh_db!().await;
    let (addr, audit) = quickstart(&db, SESSION_LIFETIME).await;
    let requests = demo(&format!("http://{addr}")).await.unwrap();
    // As the demo does: the writer stores every queued API-log row, then both logs print.
    audit.shutdown().await;
    let printed = logs(&db.pool, audit.settings(), &requests).await.unwrap();
    let shown = uuids(&printed);
    // Every row of both logs is listed under its request's whole id.
    let data_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM quickstart_audit.pg_audit_log WHERE request_id IS NOT NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let api_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM quickstart_audit.pg_api_audit_log")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(data_rows >= 3 && api_rows >= 5, "{printed}");
    assert_eq!(shown.len() as i64, data_rows + api_rows, "{printed}");
    for id in &shown {
        assert!(
            requests.iter().any(|(_, sent)| sent == id),
            "{id} was a request of the demo"
        );
    }
    // An id as printed finds its changes in the viewer.
    let update = requests
        .iter()
        .find(|(label, _)| label.starts_with("PUT"))
        .map(|(_, id)| *id)
        .unwrap();
    assert!(printed.contains(&update.to_string()));
    let token = sign_in_token(addr).await;
    let page = send(
        addr,
        "GET",
        &format!("/audit?request_id={update}"),
        &[("Authorization", &token)],
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.row_ids().len(), 1, "{}", page.body);
    assert!(
        viewer_help("http://127.0.0.1:3000").contains("sign in as `alice`, password `wonderland`")
    );
}

/// The `Authorization` value of a bearer token from `POST /login`.
async fn sign_in_token(addr: SocketAddr) -> String {
    let login = reqwest::Client::new()
        .post(format!("http://{addr}/login"))
        .json(&json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token: Value = login.json().await.unwrap();
    format!("Bearer {}", token["token"].as_str().unwrap())
}

/// The `data-count`s of the elements matched by `selector`, summed.
async fn counted(page: &Page, selector: &str) -> i64 {
    let mut sum = 0;
    for element in page.find_elements(selector).await.unwrap_or_default() {
        let count = element.attribute("data-count").await.ok().flatten();
        sum += count.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
    }
    sum
}

async fn count_of(page: &Page, selector: &str) -> usize {
    page.find_elements(selector)
        .await
        .map(|e| e.len())
        .unwrap_or(0)
}

async fn rows(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_browses_the_changes_a_record_a_request_and_the_requests() {
    let browser = Browser::launch().await;
    let db = fresh_db!().await;
    let (addr, _audit) = quickstart(&db, SESSION_LIFETIME).await;
    let base = format!("http://{addr}");
    let requests = demo(&base).await.unwrap();
    // A value a script would run from, were it not shown as text.
    let token = sign_in_token(addr).await;
    let hostile = reqwest::Client::new()
        .post(format!("{base}/orders"))
        .header("authorization", &token)
        .json(&json!({"item": "<script>alert(1)</script>", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 201);
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/viewer-e2e");

    // The viewer sends a person who is not signed in to the sign-in page.
    let page = browser.open(&format!("{base}/audit")).await;
    let mut dialogs = page
        .event_listener::<EventJavascriptDialogOpening>()
        .await
        .unwrap();
    assert!(
        url_of(&page).await.ends_with("/sign-in?next=%2Faudit"),
        "{}",
        url_of(&page).await
    );
    assert!(screenshot(&page, &shots.join("sign-in.png")).await > 5_000);
    // A wrong password first: an error, still the sign-in page, the name kept.
    type_into(&page, "input[name=username]", "alice").await;
    type_into(&page, "input[name=password]", "guess").await;
    click_and_wait(&page, "button[type=submit]").await;
    assert!(text_of(&page, ".error")
        .await
        .contains("Wrong user name or password"));
    assert!(
        page.get_cookies().await.unwrap().is_empty(),
        "no cookie after a wrong password"
    );
    type_into(&page, "input[name=password]", "wonderland").await;
    click_and_wait(&page, "button[type=submit]").await;
    assert!(
        url_of(&page).await.ends_with("/audit"),
        "{}",
        url_of(&page).await
    );
    let cookies = page.get_cookies().await.unwrap();
    assert!(
        cookies
            .iter()
            .any(|c| c.name == "quickstart_session" && c.http_only),
        "{cookies:?}"
    );

    // Changes: the chart counts every change written, split by operation.
    assert_eq!(
        page.get_title().await.unwrap().as_deref(),
        Some("Changes · pg-audit")
    );
    let changes = rows(&db, "SELECT count(*) FROM quickstart_audit.pg_audit_log").await;
    assert_eq!(counted(&page, "#activity rect.bar").await, changes);
    let updates = rows(
        &db,
        "SELECT count(*) FROM quickstart_audit.pg_audit_log WHERE operation = 'UPDATE'",
    )
    .await;
    assert_eq!(
        counted(&page, "#activity rect.bar[data-series=UPDATE]").await,
        updates
    );
    assert!(screenshot(&page, &shots.join("changes.png")).await > 10_000);

    // Filtering through the form: only UPDATEs, in the list and in the chart.
    page.find_element("select[name=operation]")
        .await
        .unwrap()
        .focus()
        .await
        .unwrap()
        .type_str("UPDATE")
        .await
        .unwrap();
    click_and_wait(&page, "form.filters button[type=submit]").await;
    assert!(
        url_of(&page).await.contains("operation=UPDATE"),
        "{}",
        url_of(&page).await
    );
    let badges = page
        .find_elements("#changes tbody .badge.op")
        .await
        .unwrap();
    assert_eq!(badges.len() as i64, updates);
    for badge in badges {
        assert_eq!(badge.inner_text().await.unwrap().as_deref(), Some("UPDATE"));
    }
    assert_eq!(counted(&page, "#activity rect.bar").await, updates);

    // A record's history: its timeline has a mark per change listed.
    click_and_wait(&page, "#changes a.history").await;
    assert!(url_of(&page).await.contains("/audit/record?"));
    let entries = count_of(&page, "#history > li").await;
    assert_eq!(entries, 3, "the order was inserted, updated and deleted");
    assert_eq!(count_of(&page, "#timeline circle.mark").await, entries);
    assert_eq!(
        count_of(&page, "#timeline circle.mark[data-series=UPDATE]").await,
        1
    );
    // Opening a version's restore statement shows it, quoted, for a person to run.
    page.find_element("#history > li.op-update details.restore summary")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let restore = text_of(&page, "#history > li.op-update pre.sql").await;
    assert!(
        restore.starts_with(r#"INSERT INTO "quickstart"."orders" ("#)
            && restore.contains(r#""quantity": 3"#),
        "{restore}"
    );
    assert!(screenshot(&page, &shots.join("record.png")).await > 10_000);

    // The request that created it: its payload and the change it made.
    click_and_wait(&page, "#history > li.op-insert a[href*='/requests/']").await;
    let created = requests
        .iter()
        .find(|(label, _)| label == "POST /orders")
        .map(|(_, id)| id.to_string())
        .unwrap();
    assert!(
        url_of(&page).await.ends_with(&created),
        "{}",
        url_of(&page).await
    );
    assert!(
        text_of(&page, "h1").await.contains(&created),
        "the whole request id"
    );
    assert!(text_of(&page, "pre.body")
        .await
        .contains("\"item\": \"book\""));
    assert_eq!(count_of(&page, "#request-changes > li").await, 1);
    assert!(screenshot(&page, &shots.join("request.png")).await > 10_000);

    // Requests: the chart counts every logged request by status class. Logged were the
    // demo's six requests that are not GETs, the test's login and order, and the two
    // sign-ins in the browser; the writer stores them within its flush interval.
    let logged = 10;
    assert!(
        eventually(Duration::from_secs(10), || async {
            rows(
                &db,
                "SELECT count(*) FROM quickstart_audit.pg_api_audit_log",
            )
            .await
                == logged
        })
        .await,
        "the API log holds the {logged} requests"
    );
    click_and_wait(&page, "header nav a[href='/audit/requests']").await;
    assert_eq!(counted(&page, "#request-activity rect.bar").await, logged);
    let failed = rows(
        &db,
        "SELECT count(*) FROM quickstart_audit.pg_api_audit_log WHERE response_code BETWEEN 400 AND 499",
    )
    .await;
    assert_eq!(
        failed, 3,
        "a refused login, an order without a token, a wrong sign-in"
    );
    assert_eq!(
        counted(&page, "#request-activity rect.bar[data-series='4xx']").await,
        failed
    );
    assert!(screenshot(&page, &shots.join("requests.png")).await > 10_000);

    // The order named like a script shows its name as text, and nothing ran.
    page.goto(format!(
        "{base}/audit/record?schema=quickstart&table=orders&id=2"
    ))
    .await
    .unwrap();
    assert!(text_of(&page, "#history")
        .await
        .contains("<script>alert(1)</script>"));
    assert!(
        dialogs.next().now_or_never().flatten().is_none(),
        "a script from the data ran"
    );
    browser.close().await;
}
