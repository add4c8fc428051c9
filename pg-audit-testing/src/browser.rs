//! Debian's Chromium, headless, driven over the DevTools protocol (chromiumoxide), for the
//! tests that use the viewer as a person does: type into a form, click, read the page,
//! take a screenshot. Nothing is downloaded: the browser is the system's, started with a
//! fresh profile and with every background connection (updates, sync, QUIC) turned off.

use chromiumoxide::browser::{Browser as Driver, BrowserConfig};
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Where Debian installs Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The flags Chromium runs with besides the profile directory and the debugging port:
/// headless, no sandbox (tests run as root), no GPU, and nothing that calls out.
const FLAGS: [&str; 7] = [
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-dev-shm-usage",
];

/// A headless Chromium with its own fresh profile, removed when the browser is closed.
pub struct Browser {
    driver: Driver,
    events: JoinHandle<()>,
    profile: PathBuf,
}

impl Browser {
    /// Starts `/usr/bin/chromium`; fails the test with one line saying what to install when
    /// it is missing.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let browser = pg_audit_testing::Browser::launch().await;
    /// let page = browser.open("http://127.0.0.1:3000/sign-in").await;
    /// # let _ = page;
    /// browser.close().await;
    /// # }
    /// ```
    pub async fn launch() -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: the browser tests need Chromium; install it with `apt-get install -y chromium`"
        );
        static LAUNCHED: AtomicUsize = AtomicUsize::new(0);
        let profile = std::env::temp_dir().join(format!(
            "pg-audit-chromium-{}-{}",
            std::process::id(),
            LAUNCHED.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::remove_dir_all(&profile).ok();
        std::fs::create_dir_all(&profile).expect("create the browser profile directory");
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .disable_default_args() // headless (the default), with the flags below only
            .no_sandbox()
            .user_data_dir(&profile)
            .window_size(1400, 1000)
            .viewport(None)
            .args(FLAGS)
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(Duration::from_secs(30))
            .build()
            .expect("a browser configuration");
        let (driver, mut handler) = Driver::launch(config)
            .await
            .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));
        // The protocol's messages are read by this task for as long as the browser runs.
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Browser {
            driver,
            events,
            profile,
        }
    }

    /// Opens `url` in a new tab and waits for it to load.
    pub async fn open(&self, url: &str) -> Page {
        let page = self
            .driver
            .new_page(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        page.wait_for_navigation()
            .await
            .unwrap_or_else(|e| panic!("load {url}: {e}"));
        page
    }

    /// Closes the browser and removes its profile.
    pub async fn close(mut self) {
        self.driver.close().await.ok();
        self.driver.wait().await.ok();
        self.events.abort();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}

/// Types `text` into the field matched by `selector`, key by key, as a person would.
pub async fn type_into(page: &Page, selector: &str, text: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("find {selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {selector}: {e}"))
        .type_str(text)
        .await
        .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
}

/// Which document the page shows and whether it has loaded; `None` while it changes.
async fn document(page: &Page) -> Option<(String, bool)> {
    let state: String = page
        .evaluate("performance.timeOrigin + ' ' + document.readyState")
        .await
        .ok()?
        .into_value()
        .ok()?;
    let (origin, ready) = state.split_once(' ')?;
    Some((origin.to_string(), ready == "complete"))
}

/// Clicks the element matched by `selector` and waits until the page it leads to has
/// loaded (a new document, fully read).
pub async fn click_and_wait(page: &Page, selector: &str) {
    let before = document(page).await.map(|(origin, _)| origin);
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("find {selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some((origin, true)) = document(page).await {
            if Some(&origin) != before.as_ref() {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "clicking {selector} led to no new page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The rendered text of the first element matched by `selector` (empty when none is).
pub async fn text_of(page: &Page, selector: &str) -> String {
    match page.find_element(selector).await {
        Ok(element) => element
            .inner_text()
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The page's current address.
pub async fn url_of(page: &Page) -> String {
    page.url().await.ok().flatten().unwrap_or_default()
}

/// Saves a screenshot of the whole page as PNG at `path` (its folder is created) and
/// returns its size in bytes.
pub async fn screenshot(page: &Page, path: &Path) -> u64 {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).expect("create the screenshot folder");
    }
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), path)
        .await
        .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
