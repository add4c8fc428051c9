//! The bounded searches of both logs (`query::search_audit_log` and `query::search_api_log`,
//! the viewer's Changes and Requests pages) against their oracles, the simple queries
//! (`query::audit_log`, `query::api_log`), over generated logs: for every filter, window and
//! page size, following the search's cursors — its pages and the points where it stopped at
//! its budget, in both directions — yields exactly the rows the simple query reads, in the
//! same order. Budgets are tiny so that every shape (rows an
//! index selects, a window's bounds read from the time index, the walk stopping at its
//! budget) runs many times on a few thousand rows. Replay a failure with
//! `PG_AUDIT_SEARCH_SEED=<seed printed> cargo test --test query_search`.

use chrono::{DateTime, Duration, Utc};
use pg_audit::query::{
    self, ApiLogFilter, AuditLogFilter, Operation, Page, SearchBudget, Searched, StatusClass,
};
use pg_audit_testing::{create_audit_tables, epoch, fresh_db, seed_from_env, Dice, TestDb, SCHEMA};
use std::fmt::Debug;
use uuid::Uuid;

const ROWS: usize = 2_500;
/// Rows are written five minutes apart (the log spans about nine days), apart from the
/// disorder the generator adds.
const STEP_SECONDS: i64 = 300;
const TABLES: [&str; 4] = ["orders", "customers", "invoices", "rare"];
const OPERATIONS: [&str; 4] = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"];

/// The generated log, as written (the oracle reads it back from the database).
struct Log {
    requests: Vec<Uuid>,
    /// The first row's time; windows are placed around it.
    start: DateTime<Utc>,
}

/// Writes `ROWS` rows: mostly in time order, with stragglers (stamped up to two days before
/// their neighbours, as a long statement's rows are), statements whose many rows share one
/// timestamp, and rows exactly at midnight, where partitions by time would split the log.
/// `invoices` is never deleted, so `invoices` + `DELETE` matches nothing.
async fn write_log(db: &TestDb, dice: &mut Dice) -> Log {
    let start = epoch();
    let requests: Vec<Uuid> = (0..40)
        .map(|_| Uuid::from_u64_pair(dice.bits(), dice.bits()))
        .collect();
    let mut columns: [Vec<Option<String>>; 7] = Default::default();
    let (mut times, mut db_users, mut request_ids) = (Vec::new(), Vec::new(), Vec::new());
    let mut shared: Option<(DateTime<Utc>, u64)> = None;
    for i in 0..ROWS {
        let regular = start + Duration::seconds(STEP_SECONDS * i as i64);
        let at = match shared.take() {
            Some((at, left)) if left > 0 => {
                shared = Some((at, left - 1));
                at
            }
            _ if dice.chance(3) => regular - Duration::seconds(dice.below(2 * 86_400) as i64),
            _ if dice.chance(3) => {
                shared = Some((regular, dice.below(40)));
                regular
            }
            _ if dice.chance(3) => {
                let midnight = regular.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
                midnight + Duration::days(dice.below(2) as i64)
            }
            _ => regular,
        };
        let table = if dice.chance(1) {
            "rare"
        } else {
            TABLES[dice.below(3) as usize]
        };
        let operation = match (table, dice.below(10)) {
            ("invoices", n) => OPERATIONS[(n % 2) as usize],
            (_, 0) => "TRUNCATE",
            (_, n) => OPERATIONS[(n % 3) as usize],
        };
        let direct = dice.chance(15);
        let schema = if dice.chance(20) { "sales" } else { "public" };
        let user = (!direct).then(|| format!("u{}", dice.below(12)));
        let request = (!direct && dice.chance(70))
            .then(|| requests[dice.below(requests.len() as u64) as usize]);
        let row = [
            Some(schema.to_string()),
            Some(table.to_string()),
            Some(operation.to_string()),
            (operation != "TRUNCATE").then(|| dice.below(60).to_string()),
            user,
            Some(if direct { "psql_admin" } else { "app" }.to_string()),
            Some("search-test".to_string()),
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        times.push(at);
        db_users.push(direct);
        request_ids.push(request);
    }
    let [schemas, tables, operations, records, users, roles, apps] = columns;
    sqlx::query(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, record_id, updated_by,
             db_user, application_name, updated_at, is_db_user, request_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::timestamptz[], $9::boolean[], $10::uuid[])",
    )
    .bind(schemas)
    .bind(tables)
    .bind(operations)
    .bind(records)
    .bind(users)
    .bind(roles)
    .bind(apps)
    .bind(times)
    .bind(db_users)
    .bind(request_ids)
    .execute(&db.pool)
    .await
    .expect("write the generated log");
    sqlx::query("VACUUM ANALYZE audit.pg_audit_log")
        .execute(&db.pool)
        .await
        .expect("vacuum");
    Log { requests, start }
}

/// Writes `ROWS` API requests with the same disorder in time as [`write_log`].
/// `/customers` never fails with a 5xx, so `/customers` + `5xx` matches nothing.
async fn write_api_log(db: &TestDb, dice: &mut Dice) -> Log {
    let start = epoch();
    let requests: Vec<Uuid> = (0..ROWS)
        .map(|_| Uuid::from_u64_pair(dice.bits(), dice.bits()))
        .collect();
    let (mut paths, mut methods, mut codes, mut users) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut times, mut durations) = (Vec::new(), Vec::new());
    for i in 0..ROWS {
        let regular = start + Duration::seconds(STEP_SECONDS * i as i64);
        times.push(match dice.below(10) {
            0 => regular - Duration::seconds(dice.below(2 * 86_400) as i64),
            1 => regular.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc(),
            _ => regular,
        });
        let path = PATHS[dice.below(PATHS.len() as u64) as usize];
        paths.push(path.to_string());
        methods.push(["POST", "PATCH", "DELETE"][dice.below(3) as usize].to_string());
        codes.push(match (path, dice.below(10)) {
            (_, 0) => None,
            ("/customers", n) => Some([200, 201, 302, 404][(n % 4) as usize]),
            (_, n) => Some([200, 201, 302, 404, 500][(n % 5) as usize]),
        });
        users.push(dice.chance(80).then(|| format!("u{}", dice.below(12))));
        durations.push(dice.below(1_000) as f64 + 0.5);
    }
    sqlx::query(
        "INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, response_code,
             user_id, created_at, duration_ms)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::text[],
             $6::timestamptz[], $7::double precision[])",
    )
    .bind(&requests)
    .bind(paths)
    .bind(methods)
    .bind(codes)
    .bind(users)
    .bind(times)
    .bind(durations)
    .execute(&db.pool)
    .await
    .expect("write the generated API log");
    sqlx::query("VACUUM ANALYZE audit.pg_api_audit_log")
        .execute(&db.pool)
        .await
        .expect("vacuum");
    Log { requests, start }
}

const PATHS: [&str; 4] = ["/orders", "/orders/{id}", "/login", "/customers"];

/// A window: none, a start, an end, midnight to midnight (what a partition by day would
/// serve whole), or any two times.
fn some_window(dice: &mut Dice, log: &Log) -> [Option<DateTime<Utc>>; 2] {
    match dice.below(6) {
        0 => [None, None],
        1 => [Some(some_time(dice, log)), None],
        2 => [None, Some(some_time(dice, log))],
        3 => {
            let since = some_time(dice, log)
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc();
            [
                Some(since),
                Some(since + Duration::days(1 + dice.below(3) as i64)),
            ]
        }
        _ => {
            let (a, b) = (some_time(dice, log), some_time(dice, log));
            [Some(a.min(b)), Some(a.max(b))]
        }
    }
}

fn some_api_filter(dice: &mut Dice, log: &Log) -> ApiLogFilter {
    let mut filter = ApiLogFilter::default().limit(1 + dice.below(25) as u32);
    if dice.chance(40) {
        filter.path = Some(PATHS[dice.below(4) as usize].into());
    }
    if dice.chance(30) {
        filter.method = Some(["POST", "patch", "DELETE"][dice.below(3) as usize].into());
    }
    if dice.chance(35) {
        filter.status_class = Some(StatusClass::ALL[dice.below(5) as usize]);
    }
    if dice.chance(10) {
        filter.min_status = Some([200, 300, 404, 500][dice.below(4) as usize]);
    }
    if dice.chance(15) {
        filter.user = Some(format!("u{}", dice.below(13)));
    }
    if dice.chance(15) {
        filter.min_duration_ms = Some(dice.below(1_100) as f64);
    }
    if dice.chance(5) {
        filter.request_id = Some(log.requests[dice.below(log.requests.len() as u64) as usize]);
    }
    [filter.since, filter.until] = some_window(dice, log);
    filter
}

/// A time in or around the log: a midnight (where a partition would start), a row's
/// regular time, or any second.
fn some_time(dice: &mut Dice, log: &Log) -> DateTime<Utc> {
    let span = STEP_SECONDS * ROWS as i64;
    let at = log.start - Duration::days(1)
        + Duration::seconds(dice.below((span + 2 * 86_400) as u64) as i64);
    match dice.below(3) {
        0 => at.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc(),
        1 => log.start + Duration::seconds(STEP_SECONDS * dice.below(ROWS as u64) as i64),
        _ => at,
    }
}

fn some_filter(dice: &mut Dice, log: &Log) -> AuditLogFilter {
    let mut filter = AuditLogFilter::default().limit(1 + dice.below(25) as u32);
    if dice.chance(40) {
        filter.schema = Some(if dice.chance(80) { "public" } else { "sales" }.into());
    }
    if dice.chance(45) {
        filter.table = Some(TABLES[dice.below(4) as usize].into());
    }
    if dice.chance(10) {
        filter.record_id = Some(dice.below(60).to_string());
    }
    if dice.chance(35) {
        filter.operation = Some(Operation::ALL[dice.below(4) as usize]);
    }
    if dice.chance(12) {
        filter.user = Some(format!("u{}", dice.below(13)));
    }
    if dice.chance(8) {
        filter.request_id = Some(log.requests[dice.below(log.requests.len() as u64) as usize]);
    }
    filter.db_user_only = dice.chance(10);
    [filter.since, filter.until] = some_window(dice, log);
    filter
}

fn some_budget(dice: &mut Dice) -> SearchBudget {
    SearchBudget {
        rows: 1 + dice.below(400) as i64,
        window: 1 + dice.below(1_500) as i64,
        // Up to three times the 500 selected ids read per statement, so pages are read from
        // one chunk of them and from several.
        selected: 1 + dice.below(1_500) as i64,
    }
}

/// A filter of either log, read both ways: by the simple query and by the bounded search.
trait Filter: Clone + Debug {
    fn limit(&self) -> u32;
    /// The same filter, 1000 rows a page.
    fn widest(&self) -> Self;
    fn cursors(&mut self) -> (&mut Option<i64>, &mut Option<i64>);
    /// A page of the simple query, as ids.
    async fn simple(&self, db: &TestDb) -> Page<i64>;
    /// A page of the bounded search, as ids, and where it stopped.
    async fn bounded(&self, db: &TestDb, budget: SearchBudget) -> (Page<i64>, Option<Searched>);
}

fn ids_of<T>(page: Page<T>, id: fn(&T) -> i64) -> Page<i64> {
    Page {
        entries: page.entries.iter().map(id).collect(),
        older: page.older,
        newer: page.newer,
    }
}

impl Filter for AuditLogFilter {
    fn limit(&self) -> u32 {
        self.limit
    }
    fn widest(&self) -> Self {
        self.clone().limit(1000)
    }
    fn cursors(&mut self) -> (&mut Option<i64>, &mut Option<i64>) {
        (&mut self.before_id, &mut self.after_id)
    }
    async fn simple(&self, db: &TestDb) -> Page<i64> {
        ids_of(
            query::audit_log(&db.pool, SCHEMA, self).await.unwrap(),
            |e| e.id,
        )
    }
    async fn bounded(&self, db: &TestDb, budget: SearchBudget) -> (Page<i64>, Option<Searched>) {
        let search = query::search_audit_log(&db.pool, SCHEMA, self, budget)
            .await
            .unwrap();
        (ids_of(search.page, |e| e.id), search.stopped)
    }
}

impl Filter for ApiLogFilter {
    fn limit(&self) -> u32 {
        self.limit
    }
    fn widest(&self) -> Self {
        self.clone().limit(1000)
    }
    fn cursors(&mut self) -> (&mut Option<i64>, &mut Option<i64>) {
        (&mut self.before_id, &mut self.after_id)
    }
    async fn simple(&self, db: &TestDb) -> Page<i64> {
        ids_of(query::api_log(&db.pool, SCHEMA, self).await.unwrap(), |e| {
            e.id
        })
    }
    async fn bounded(&self, db: &TestDb, budget: SearchBudget) -> (Page<i64>, Option<Searched>) {
        let search = query::search_api_log(&db.pool, SCHEMA, self, budget)
            .await
            .unwrap();
        (ids_of(search.page, |e| e.id), search.stopped)
    }
}

/// Every row the simple query reads for the filter (without cursors), newest first.
async fn oracle<F: Filter>(db: &TestDb, filter: &F) -> Vec<i64> {
    let mut filter = filter.widest();
    let mut ids = Vec::new();
    loop {
        let page = filter.simple(db).await;
        ids.extend(page.entries);
        match page.older {
            Some(older) => *filter.cursors().0 = Some(older),
            None => return ids,
        }
    }
}

/// Follows the search's cursors from the filter's start — towards older rows, or towards
/// newer ones when the filter starts from an `after_id` — checking each page on the way;
/// returns every id it showed, in the order of the walk.
async fn follow<F: Filter>(db: &TestDb, filter: &F, budget: SearchBudget, seed: u64) -> Vec<i64> {
    let mut filter = filter.clone();
    let towards_newer = filter.cursors().1.is_some();
    let mut ids = Vec::new();
    for _ in 0..ROWS * 2 {
        let (page, stopped) = filter.bounded(db, budget).await;
        assert!(
            page.entries.len() <= filter.limit() as usize,
            "seed {seed}: {filter:?}: a page over its limit"
        );
        assert!(
            page.entries.windows(2).all(|w| w[0] > w[1]),
            "seed {seed}: {filter:?}: a page out of order"
        );
        let onwards = if towards_newer {
            page.newer
        } else {
            page.older
        };
        if let Some(stopped) = &stopped {
            assert_eq!(
                onwards,
                Some(stopped.edge_id),
                "seed {seed}: {filter:?}: the cursor goes on at the edge"
            );
            assert_eq!(
                stopped.towards_newer, towards_newer,
                "seed {seed}: {filter:?}"
            );
            assert!(
                stopped.rows <= budget.rows,
                "seed {seed}: {filter:?}: read beyond the budget"
            );
        }
        if towards_newer {
            ids.extend(page.entries.iter().rev());
        } else {
            ids.extend(page.entries.iter());
        }
        match onwards {
            Some(cursor) if towards_newer => *filter.cursors().1 = Some(cursor),
            Some(cursor) => *filter.cursors().0 = Some(cursor),
            None => return ids,
        }
    }
    panic!("seed {seed}: {filter:?}: the search never ended");
}

/// Checks one filter: from its start, then from a cursor `at` towards newer and older rows.
async fn check<F: Filter>(db: &TestDb, filter: &F, budget: SearchBudget, at: i64, seed: u64) {
    let expected = oracle(db, filter).await;
    let found = follow(db, filter, budget, seed).await;
    same(&found, &expected, || {
        format!("seed {seed}: {filter:?} within {budget:?}")
    });

    let mut newer = filter.clone();
    *newer.cursors().1 = Some(at);
    let expected_newer: Vec<i64> = expected
        .iter()
        .rev()
        .copied()
        .filter(|id| *id > at)
        .collect();
    same(
        &follow(db, &newer, budget, seed).await,
        &expected_newer,
        || format!("seed {seed}: {newer:?} within {budget:?}"),
    );
    let mut older = filter.clone();
    *older.cursors().0 = Some(at);
    let expected_older: Vec<i64> = expected.iter().copied().filter(|id| *id < at).collect();
    same(
        &follow(db, &older, budget, seed).await,
        &expected_older,
        || format!("seed {seed}: {older:?} within {budget:?}"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_bounded_search_of_changes_reads_exactly_the_rows_of_the_simple_query() {
    let seed = seed_from_env("PG_AUDIT_SEARCH_SEED");
    eprintln!("PG_AUDIT_SEARCH_SEED={seed}");
    let mut dice = Dice::new(seed);
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let log = write_log(&db, &mut dice).await;
    let never = AuditLogFilter::table("public", "invoices").operation(Operation::Delete);
    let mut filters = vec![never.clone(), AuditLogFilter::default()];
    filters.extend((0..60).map(|_| some_filter(&mut dice, &log)));
    for filter in filters {
        let budget = some_budget(&mut dice);
        let at = 1 + dice.below(ROWS as u64) as i64;
        check(&db, &filter, budget, at, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_bounded_search_of_requests_reads_exactly_the_rows_of_the_simple_query() {
    let seed = seed_from_env("PG_AUDIT_SEARCH_SEED");
    eprintln!("PG_AUDIT_SEARCH_SEED={seed}");
    let mut dice = Dice::new(seed);
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let log = write_api_log(&db, &mut dice).await;
    let never = ApiLogFilter {
        path: Some("/customers".into()),
        status_class: Some(StatusClass::ServerError),
        ..ApiLogFilter::default()
    };
    let mut filters = vec![never, ApiLogFilter::default()];
    filters.extend((0..60).map(|_| some_api_filter(&mut dice, &log)));
    for filter in filters {
        let budget = some_budget(&mut dice);
        let at = 1 + dice.below(ROWS as u64) as i64;
        check(&db, &filter, budget, at, seed).await;
    }
}

/// The ids agree; if not, where they part (the whole lists would fill the screen).
fn same(found: &[i64], expected: &[i64], context: impl Fn() -> String) {
    if found != expected {
        let at = found
            .iter()
            .zip(expected)
            .take_while(|(a, b)| a == b)
            .count();
        panic!(
            "{}: the search showed {} rows, the simple query reads {}; they part at position {at}: {:?} vs {:?}",
            context(),
            found.len(),
            expected.len(),
            &found[at..found.len().min(at + 5)],
            &expected[at..expected.len().min(at + 5)]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_matching_nothing_stops_at_the_budget_and_says_where_then_ends_with_the_log() {
    let seed = seed_from_env("PG_AUDIT_SEARCH_SEED");
    eprintln!("PG_AUDIT_SEARCH_SEED={seed}");
    let mut dice = Dice::new(seed);
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    write_log(&db, &mut dice).await;
    let never = AuditLogFilter::table("public", "invoices").operation(Operation::Delete);
    let budget = SearchBudget {
        rows: 1_000,
        window: 1_000,
        selected: 100,
    };
    let first = query::search_audit_log(&db.pool, SCHEMA, &never, budget)
        .await
        .unwrap();
    let stopped = first.stopped.expect("the first 1000 rows hold no match");
    assert!(first.page.entries.is_empty());
    assert_eq!(stopped.rows, 1_000);
    assert_eq!(first.page.older, Some(stopped.edge_id));
    let newest: i64 = sqlx::query_scalar("SELECT max(id) FROM audit.pg_audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        stopped.edge_id,
        newest - 999,
        "the edge is the 1000th row searched"
    );
    // The last stretch of the log ends the search: nothing stopped, no cursor.
    let last = AuditLogFilter {
        before_id: Some(500),
        ..never
    };
    let last = query::search_audit_log(&db.pool, SCHEMA, &last, budget)
        .await
        .unwrap();
    assert_eq!(
        (last.stopped, last.page.older, last.page.entries.len()),
        (None, None, 0)
    );
}
