//! The `pg-audit` command as a user runs it: real processes against a real PostgreSQL.

use pg_audit_testing::{fresh_db, TestDb};
use std::process::{Command, Output};

fn pg_audit(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pg-audit"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .output()
        .expect("run pg-audit")
}

/// Eight, four, four, four and twelve hex digits.
fn uuid_like(word: &str) -> bool {
    let groups: Vec<usize> = word.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && word.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn migrate_attach_status_and_sql_work_end_to_end() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE logs_raw (v text); CREATE TABLE archive (id int PRIMARY KEY);").await;
    let out = pg_audit(&db, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("applied 0001 audit_tables"));
    assert!(text(&out).contains("applied 0002 api_log_request_key"));
    assert!(text(&out).contains("create   public.orders"));

    let out = pg_audit(
        &db,
        &["attach", "--dry-run", "--exclude", "archive", "logs_raw"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("drop     public.archive")
            && text(&out).contains("dry run: nothing changed"),
        "{}",
        text(&out)
    );

    let out = pg_audit(&db, &["attach", "--exclude", "archive"]);
    assert!(
        out.status.success() && text(&out).contains("applied"),
        "{}",
        text(&out)
    );
    let out = pg_audit(&db, &["attach"]);
    assert!(text(&out).contains("nothing to do"), "{}", text(&out));

    let out = pg_audit(&db, &["status"]);
    let status = text(&out);
    assert!(status.contains("excluded    public.archive"), "{status}");
    assert!(status.contains("audited     public.orders"), "{status}");
    let out = pg_audit(&db, &["status", "--json"]);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("status --json prints JSON");
    assert_eq!(json["tables"].as_array().map(Vec::len), Some(3));

    let dir = std::env::temp_dir().join(format!("{}_sql", db.name));
    let out = pg_audit(&db, &["sql", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "0000_bootstrap.up.sql",
            "0001_audit_tables.down.sql",
            "0001_audit_tables.up.sql",
            "0002_api_log_request_key.down.sql",
            "0002_api_log_request_key.up.sql",
            "0003_positional_update_pairing.down.sql",
            "0003_positional_update_pairing.up.sql",
            "0004_audit_role.down.sql",
            "0004_audit_role.up.sql",
            "0005_log_time_indexes.down.sql",
            "0005_log_time_indexes.up.sql",
            "0006_living_schema.down.sql",
            "0006_living_schema.up.sql",
            "0007_partitioned_log.down.sql",
            "0007_partitioned_log.up.sql",
            "0008_lean_trigger_bodies.down.sql",
            "0008_lean_trigger_bodies.up.sql",
            "0009_attach_triggers.up.sql"
        ]
    );
    let triggers = std::fs::read_to_string(dir.join("0009_attach_triggers.up.sql")).unwrap();
    assert!(triggers.contains("ON \"public\".\"orders\"") && !triggers.contains("\"archive\""));
    std::fs::remove_dir_all(&dir).ok();

    let out = pg_audit(&db, &["attach", "--remove"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = pg_audit(&db, &["migrate", "--zero"]);
    assert!(
        text(&out).contains("reverted 0001 audit_tables")
            && text(&out).contains("dropped schema audit"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn two_processes_migrating_at_once_apply_the_migration_once() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_pg-audit"))
            .arg("migrate")
            .env("DATABASE_URL", db.url())
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        text(&a),
        text(&b)
    );
    let applied = [&a, &b]
        .iter()
        .filter(|o| text(o).contains("applied 0001"))
        .count();
    assert_eq!(applied, 1, "{}\n{}", text(&a), text(&b));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 8, "one row per migration");
}

#[tokio::test]
async fn errors_are_one_clear_line_and_a_failure_exit() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    let out = pg_audit(&db, &["status"]);
    assert!(!out.status.success());
    assert_eq!(text(&out).trim(), "pg-audit: error: invalid audit schema: audit.pg_audit_log does not exist: run `pg-audit migrate` first");

    assert!(pg_audit(&db, &["migrate"]).status.success());
    let out = pg_audit(&db, &["attach", "--exclude", "nosuch"]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out).trim(),
        "pg-audit: error: unknown table nosuch: no such table in the audited schemas"
    );
    let out = pg_audit(&db, &["attach", "--exclude", "a.b.c"]);
    assert!(
        text(&out).contains("has more than one dot"),
        "{}",
        text(&out)
    );
    let out = pg_audit(&db, &["attach", "--exclude", &"x".repeat(100)]);
    assert!(
        text(&out).contains("PostgreSQL names have at most 63"),
        "{}",
        text(&out)
    );
    let out = pg_audit(&db, &["--audit-schema", "", "status"]);
    assert!(
        text(&out).contains("invalid audit schema: it is empty"),
        "{}",
        text(&out)
    );

    let unreachable = Command::new(env!("CARGO_BIN_EXE_pg-audit"))
        .arg("status")
        .env(
            "DATABASE_URL",
            "postgres://someone:hunter2@127.0.0.1:1/appdb",
        )
        .output()
        .unwrap();
    let message = text(&unreachable);
    assert!(!unreachable.status.success());
    assert!(
        message.contains("127.0.0.1:1/appdb") && !message.contains("hunter2"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");

    let no_url = Command::new(env!("CARGO_BIN_EXE_pg-audit"))
        .arg("status")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        text(&no_url).contains("set DATABASE_URL or pass --database-url"),
        "{}",
        text(&no_url)
    );
}

#[tokio::test]
async fn a_role_without_privileges_gets_a_permission_error_naming_what_is_missing() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    assert!(pg_audit(&db, &["migrate"]).status.success());
    let role = format!("{}_ro", db.name);
    db.exec(&format!("CREATE ROLE \"{role}\" LOGIN")).await;
    let url = db.url().replacen("postgres@", &format!("{role}@"), 1);
    let out = Command::new(env!("CARGO_BIN_EXE_pg-audit"))
        .args(["attach", "--database-url", &url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let message = text(&out);
    assert!(!out.status.success());
    assert!(
        message.contains("permission denied") && message.contains("audit"),
        "{message}"
    );
    db.drop_with_role(&role).await;
}

#[tokio::test]
async fn log_filters_by_table_record_request_user_operation_and_time() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int); CREATE TABLE other (id int PRIMARY KEY);").await;
    assert!(pg_audit(&db, &["migrate"]).status.success());
    db.exec(
        "BEGIN;
         SELECT set_config('pg_audit.user_id', 'alice', true), set_config('pg_audit.request_id', '0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b', true);
         INSERT INTO orders VALUES (1, 10), (2, 20);
         COMMIT;
         UPDATE orders SET total = 11 WHERE id = 1;
         DELETE FROM orders WHERE id = 2;
         INSERT INTO other VALUES (1);",
    )
    .await;
    let lines = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut full = vec!["log", "--json"];
        full.extend_from_slice(args);
        let out = pg_audit(&db, &full);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(lines(&[]).len(), 5);
    assert_eq!(lines(&["--table", "orders"]).len(), 4);
    assert_eq!(
        lines(&["--table", "public.orders", "--record", "1"]).len(),
        2
    );
    assert_eq!(
        lines(&["--request", "0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b"]).len(),
        2
    );
    assert_eq!(lines(&["--user", "alice"]).len(), 2);
    let deletes = lines(&["--operation", "delete"]);
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["old_data"]["total"], serde_json::json!(20));
    assert_eq!(lines(&["--since", "1h"]).len(), 5);
    assert_eq!(lines(&["--since", "2999-01-01"]).len(), 0);
    // Times without an offset, as the viewer's form sends them, are read as UTC.
    assert_eq!(lines(&["--since", "2000-01-01T00:00"]).len(), 5);
    assert_eq!(lines(&["--since", "2999-01-01 09:30"]).len(), 0);
    let newest = lines(&["--limit", "1"]);
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["table_name"], serde_json::json!("other"));

    let table = text(&pg_audit(&db, &["log", "--table", "orders"]));
    assert!(table.lines().next().unwrap().starts_with("id"), "{table}");
    assert!(
        table.contains("UPDATE")
            && table.contains("total")
            && table.contains("alice")
            && table.contains("db:postgres"),
        "{table}"
    );

    // The table shows whole request ids, which --request takes back as printed.
    let request_ids: Vec<&str> = table
        .split_whitespace()
        .filter(|word| word.len() == 36 && uuid_like(word))
        .collect();
    assert_eq!(
        request_ids, ["0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b"; 2],
        "{table}"
    );
    assert_eq!(lines(&["--request", request_ids[0]]).len(), 2);

    for (args, expected) in [
        (&["log", "--request", "nope"][..], "`nope` is not a UUID"),
        (
            &["log", "--operation", "MERGE"][..],
            "expected one of INSERT, UPDATE, DELETE, TRUNCATE",
        ),
        (&["log", "--since", "last tuesday"][..], "is not a time"),
        (&["log", "--table", "a.b.c"][..], "more than one dot"),
    ] {
        let out = pg_audit(&db, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(expected), "{args:?}: {}", text(&out));
    }
}

#[tokio::test]
async fn maintain_makes_partitions_ahead_drops_old_ones_and_refuses_bad_flags() {
    let db = fresh_db!().await;
    assert!(pg_audit(&db, &["migrate"]).status.success());
    db.exec(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, updated_at)
         VALUES ('public', 'orders', 'INSERT', '2001-05-03 10:00:00+00')",
    )
    .await;
    let out = pg_audit(&db, &["maintain", "--ahead", "6", "--list"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("created  pg_audit_log_data_2001_05"),
        "{printed}"
    );
    assert!(
        printed.contains("pg_audit_log_data_2001_05  2001-05-01 00:00 UTC  2001-06-01 00:00 UTC"),
        "{printed}"
    );
    let out = pg_audit(&db, &["maintain", "--retain", "400d", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["partitions_dropped"],
        serde_json::json!(["pg_audit_log_data_2001_05"])
    );
    assert_eq!(report["audit_rows_removed"], 1);
    let out = pg_audit(&db, &["maintain", "--retain", "400d"]);
    assert_eq!(text(&out).trim(), "nothing to do");
    for (args, says) in [
        (&["maintain", "--retain", "400"][..], "no unit"),
        (&["maintain", "--retain=-3d"][..], "whole number"),
        (&["maintain", "--retain", "3y"][..], "unknown unit"),
        (&["maintain", "--ahead", "99"][..], "99"),
        (&["maintain", "--lock-timeout", "0s"][..], "no time"),
    ] {
        let out = pg_audit(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
}

#[tokio::test]
async fn a_function_planted_in_public_never_runs_in_the_command() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    db.exec(pg_audit_testing::attacks::PLANTED_UNNEST).await;
    for args in [
        &["migrate"][..],
        &["attach"],
        &["status"],
        &["sql"],
        &["log"],
    ] {
        let out = pg_audit(&db, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let ran: i64 = sqlx::query_scalar(pg_audit_testing::attacks::EVIDENCE)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(ran, 0, "the command never ran the planted function");
}

#[tokio::test]
async fn status_check_exits_3_for_every_way_auditing_is_not_as_declared() {
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE orders (id int PRIMARY KEY);
         CREATE TABLE p (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE p0 PARTITION OF p FOR VALUES IN (0);",
    )
    .await;
    assert!(pg_audit(&db, &["migrate"]).status.success());
    let clean = pg_audit(&db, &["status", "--check"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    // Each breakage alone makes the check fail and is named in the report; each is then
    // undone so the next one is seen on its own.
    let cases = [
        (
            "ALTER TABLE audit.pg_audit_log_data DISABLE TRIGGER pg_audit_append_only",
            "ALTER TABLE audit.pg_audit_log_data ENABLE ALWAYS TRIGGER pg_audit_append_only",
            "append-only guard trigger not ENABLE ALWAYS",
        ),
        (
            "DROP TRIGGER pg_audit_append_only_truncate ON audit.pg_api_audit_log",
            "CREATE TRIGGER pg_audit_append_only_truncate BEFORE TRUNCATE ON audit.pg_api_audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION audit.pg_audit_reject_change(); \
             ALTER TABLE audit.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate",
            "append-only guard trigger missing",
        ),
        (
            "GRANT SELECT ON audit.pg_api_audit_log_default TO PUBLIC",
            "REVOKE SELECT ON audit.pg_api_audit_log_default FROM PUBLIC",
            "partition with privileges of its own",
        ),
        (
            "GRANT EXECUTE ON FUNCTION audit.pg_audit_purge(timestamptz) TO PUBLIC",
            "REVOKE EXECUTE ON FUNCTION audit.pg_audit_purge(timestamptz) FROM PUBLIC",
            "function executable by PUBLIC",
        ),
        (
            "GRANT SELECT ON audit.pg_audit_log TO PUBLIC",
            "REVOKE SELECT ON audit.pg_audit_log FROM PUBLIC",
            "table PUBLIC has a privilege on",
        ),
        (
            "ALTER TABLE p0 DISABLE TRIGGER pg_audit_update",
            "ALTER TABLE p0 ENABLE ALWAYS TRIGGER pg_audit_update",
            "stale",
        ),
        (
            "ALTER TABLE orders RENAME TO orders_renamed",
            "ALTER TABLE orders_renamed RENAME TO orders",
            "no longer exists",
        ),
    ];
    for (break_it, repair, expected) in cases {
        db.exec(break_it).await;
        let broken = pg_audit(&db, &["status", "--check"]);
        assert_eq!(
            broken.status.code(),
            Some(3),
            "{break_it}: {}",
            text(&broken)
        );
        assert!(
            text(&broken).contains(expected),
            "{break_it}: {}",
            text(&broken)
        );
        db.exec(repair).await;
        let repaired = pg_audit(&db, &["status", "--check"]);
        assert_eq!(
            repaired.status.code(),
            Some(0),
            "{repair}: {}",
            text(&repaired)
        );
    }
}

#[tokio::test]
async fn log_and_status_print_hostile_rows_whole_and_escaped() {
    let db = fresh_db!().await;
    // A table whose name holds a newline and a terminal escape, a user id that tries to
    // forge a line, and numbers no f64 holds.
    db.exec("CREATE TABLE \"evil\nname\x1b[31m\" (id int PRIMARY KEY, doc jsonb, n numeric)")
        .await;
    assert!(pg_audit(&db, &["migrate"]).status.success());
    db.exec(
        "BEGIN;
         SELECT set_config('pg_audit.user_id', E'mallory\\n2026-01-01 INSERT public.orders admin', true);
         INSERT INTO \"evil\nname\x1b[31m\" VALUES (1, '{\"big\": 1e400, \"tiny\": 1e-400}', 1e400);
         COMMIT;",
    )
    .await;
    for args in [&["log"][..], &["log", "--json"], &["status"]] {
        let out = pg_audit(&db, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            !stdout.contains('\x1b'),
            "{args:?} printed a raw escape: {stdout}"
        );
        assert!(
            !stdout.lines().any(|line| line.starts_with("2026-01-01")
                || line.starts_with("name")
                || line.starts_with(" admin")),
            "{args:?} printed a forged line: {stdout}"
        );
        if args.contains(&"--json") {
            // jsonb keeps 1e400 and 1e-400 as the numerics they are, printed in full.
            let big = format!("\"big\": 1{}", "0".repeat(400));
            let tiny = format!("\"tiny\": 0.{}1", "0".repeat(399));
            assert!(
                stdout.contains(&big),
                "{args:?} kept the number whole: {stdout}"
            );
            assert!(
                stdout.contains(&tiny),
                "{args:?} kept the number whole: {stdout}"
            );
        }
    }
    let json = pg_audit(&db, &["log", "--json"]);
    let line = String::from_utf8(json.stdout).unwrap();
    assert_eq!(line.lines().count(), 1, "one JSON line per row: {line}");
    assert!(
        line.contains(r#""updated_by":"mallory\n2026-01-01"#),
        "{line}"
    );
}
