//! The viewer in a real browser: headless Debian Chromium, driven by `e2e/viewer.mjs`
//! (playwright-core), against a real server and a database written through the real
//! triggers. Opens the Changes page, filters it, follows a record's history and the request
//! that created the record, and saves screenshots under `target/viewer-e2e/`.
//!
//! Needs `/usr/bin/chromium` (`apt-get install -y chromium`) and the Node dependencies
//! (`npm ci --prefix e2e`); without them the test fails and says so.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit::{SchemaSettings, TableRules, Tables};
use pg_audit_testing::fresh_db;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

static TABLES: Tables = pg_audit::audit_tables! {
    mask: { orders: [card_number] },
};

fn require_browser_and_node_deps(root: &Path) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the browser test needs Debian's Chromium. Install it with\n  apt-get update && apt-get install -y chromium"
    );
    assert!(
        root.join("e2e/node_modules/playwright-core/package.json").exists(),
        "e2e/node_modules/playwright-core is missing: install the browser test's Node dependencies with\n  npm ci --prefix e2e"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|out| out.status.success()),
        "`node` is not on PATH: install Node.js (apt-get install -y nodejs npm)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_opens_the_changes_filters_them_and_follows_a_record_history() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    require_browser_and_node_deps(&root);

    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, card_number text, note text)").await;
    let rules = TableRules::from_tables(&TABLES).unwrap();
    pg_audit::migrate(&db.pool, &SchemaSettings::default(), &rules)
        .await
        .unwrap();
    // Writes with request context, as the application makes them, and one direct write.
    db.exec(
        "BEGIN;
         SELECT set_config('pg_audit.user_id', 'alice', true),
                set_config('pg_audit.request_id', '0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c', true),
                set_config('pg_audit.api_name', '/orders', true),
                set_config('pg_audit.http_method', 'POST', true),
                set_config('pg_audit.ip', '192.0.2.10', true);
         INSERT INTO orders VALUES (1, 5, '4111111111111111', 'first'), (2, 9, NULL, '<script>alert(1)</script>');
         COMMIT;
         BEGIN;
         SELECT set_config('pg_audit.user_id', 'bob', true),
                set_config('pg_audit.request_id', '0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3d', true),
                set_config('pg_audit.api_name', '/orders/{id}', true),
                set_config('pg_audit.http_method', 'PATCH', true);
         UPDATE orders SET total = 7, card_number = '5500000000000004' WHERE id = 1;
         COMMIT;
         UPDATE orders SET note = 'fixed by hand' WHERE id = 1;
         BEGIN;
         SELECT set_config('pg_audit.user_id', '<script>alert(1)</script>', true);
         UPDATE orders SET note = '<img src=x onerror=alert(2)>' WHERE id = 2;
         COMMIT;
         INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body,
             response_code, user_id, ip_address, duration_ms)
         VALUES ('0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c', '/orders', 'POST',
             '{\"orders\": [{\"id\": 1, \"card_number\": \"********\"}], \"password\": \"********\"}',
             '{\"created\": [1, 2]}', 201, 'alice', '192.0.2.10', 12.5);",
    )
    .await;

    let source = ViewerSource::new(db.pool.clone(), "audit").unwrap();
    let allow = |_: &Parts| std::future::ready(true);
    let addr =
        pg_audit_testing::serve(Router::new().nest("/audit", viewer::router(source, allow))).await;
    let screenshots = root.join("target/viewer-e2e");
    let url = format!("http://{addr}/audit");
    let script = root.join("e2e/viewer.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(&screenshots)
            .arg("3")
            .current_dir(&root)
            .output()
    })
    .await
    .unwrap()
    .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("\"ok\":true"), "{stdout}");
    for shot in ["changes.png", "history.png", "request.png"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/viewer-e2e")
            .join(shot);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is missing or empty", path.display());
    }
}
