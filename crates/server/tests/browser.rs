//! A real browser: the server on 127.0.0.1 over a store on disk, Debian's chromedriver driving
//! headless Chromium through WebDriver (plain HTTP and JSON). A person signs in through the form,
//! opens their report and the query log, and the test checks what the pages show. Screenshots go
//! to `<target dir>/browser-artifacts/` (`target/` or `$CARGO_TARGET_DIR`).
//!
//! Chromium and chromedriver must be installed (`apt-get install chromium chromium-driver`):
//! without them this test fails; it never skips.

mod common;

use base64::Engine as _;
use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key WebDriver names elements by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP/1.1 exchange with JSON bodies. chromedriver answers `Connection: close` but keeps
/// the connection open, so the body is read by its length (or its chunks).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chromedriver");
    stream.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let complete = |raw: &[u8]| -> Option<(u16, Vec<u8>)> {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let rest = &raw[split + 4..];
        let length =
            head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|n| n.trim().parse::<usize>().ok());
        match length {
            Some(n) => (rest.len() >= n).then(|| (status, rest[..n].to_vec())),
            None if head.contains("transfer-encoding: chunked") => dechunk(rest).map(|b| (status, b)),
            None => None,
        }
    };
    loop {
        if let Some((status, payload)) = complete(&raw) {
            return (status, serde_json::from_slice(&payload).unwrap_or(Value::Null));
        }
        let n = stream.read(&mut buf).expect("an answer from chromedriver in time");
        assert!(n > 0, "chromedriver closed the connection mid-answer");
        raw.extend_from_slice(&buf[..n]);
    }
}

/// The body of a chunked answer, once its last chunk has arrived.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(eol + 2..eol + 2 + size)?);
        b = b.get(eol + 2 + size + 2..)?;
    }
}

/// chromedriver, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: install Debian's packages (apt-get install chromium chromium-driver); \
                 this test does not skip"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, port };
        let started = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && http(port, "GET", "/status", None).1["value"]["ready"] == true
            {
                return driver;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "chromedriver did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session: one headless Chromium, closed when dropped.
struct Browser {
    port: u16,
    id: String,
    /// Chromium's process, ended at the end if closing the session did not end it.
    pid: Option<u64>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn open(driver: &Driver) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--window-size=1280,1000",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let (status, answer) = http(driver.port, "POST", "/session", Some(&caps));
        assert_eq!(status, 200, "no browser session: {answer}");
        let id = answer["value"]["sessionId"].as_str().unwrap().to_owned();
        let pid = answer["value"]["capabilities"]["goog:processID"].as_u64();
        Browser { port: driver.port, id, pid, _profile: profile }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = http(self.port, method, &format!("/session/{}{path}", self.id), body.as_ref());
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url})));
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap().to_owned()
    }

    /// Waits until the address ends with `suffix`.
    fn wait_for_path(&self, suffix: &str) {
        let started = Instant::now();
        while !self.url().ends_with(suffix) {
            assert!(started.elapsed() < Duration::from_secs(20), "still at {} (waiting for {suffix})", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn all(&self, css: &str) -> Vec<String> {
        let found = self.cmd("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        found
            .as_array()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap_or_else(|| panic!("{css}: {found}")).to_owned())
            .collect()
    }

    fn one(&self, css: &str) -> String {
        self.all(css).into_iter().next().unwrap_or_else(|| panic!("no {css} on {}", self.url()))
    }

    fn text(&self, element: &str) -> String {
        self.cmd("GET", &format!("/element/{element}/text"), None).as_str().unwrap().to_owned()
    }

    fn css(&self, element: &str, property: &str) -> String {
        self.cmd("GET", &format!("/element/{element}/css/{property}"), None).as_str().unwrap().to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.one(css);
        self.cmd("POST", &format!("/element/{e}/value"), Some(json!({"text": text})));
    }

    fn click(&self, css: &str) {
        let e = self.one(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// The page's width and the viewport's, in CSS pixels, in a window `width` pixels wide:
    /// the page scrolls sideways when the first is larger.
    fn widths_at(&self, width: u64) -> (u64, u64) {
        self.cmd("POST", "/window/rect", Some(json!({"width": width, "height": 900})));
        let script = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];";
        let w = self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": []})));
        (w[0].as_u64().unwrap_or(u64::MAX), w[1].as_u64().unwrap_or(0))
    }

    fn body_text(&self) -> String {
        self.text(&self.one("body"))
    }

    /// A screenshot of the whole page (the window is made as tall as the page first).
    fn screenshot(&self, path: &Path) {
        self.screenshot_at(path, 1280);
    }

    /// A screenshot of the whole page in a window `width` pixels wide.
    fn screenshot_at(&self, path: &Path, width: u64) {
        let body = self.one("body");
        let height = self.cmd("GET", &format!("/element/{body}/rect"), None)["height"].as_f64().unwrap_or(1000.0);
        let height = (height as u64 + 40).clamp(600, 8000);
        self.cmd("POST", "/window/rect", Some(json!({"width": width, "height": height})));
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let closed = std::panic::catch_unwind(|| http(self.port, "DELETE", &format!("/session/{}", self.id), None));
        if closed.is_err()
            && let Some(pid) = self.pid
        {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

/// `<target dir>/browser-artifacts`: beside `debug/` (this test runs from `<target>/debug/deps/`).
fn artifacts() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_person_signs_in_and_reads_their_report_and_the_query_log_in_chromium() {
    let world = world(ob_store::testing::scratch_from_env());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = ob_server::router(world.state.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });
    let shots = artifacts();

    let driver = Driver::start();
    let browser = Browser::open(&driver);

    // Sign in through the form.
    browser.goto(&format!("{base}/"));
    assert!(browser.body_text().contains("登录查看本人信用信息"));
    browser.screenshot(&shots.join("1-sign-in.png"));
    // Signing in on a phone: the form fits a 400 px window.
    let (page, viewport) = browser.widths_at(400);
    assert!(page <= viewport && viewport <= 400, "the sign-in page is {page} px wide in a {viewport} px viewport");
    browser.type_into("#document_number", P_ID);
    browser.type_into("#password", P_PASSWORD);
    browser.click("form[action='/signin'] button[type=submit]");
    browser.wait_for_path("/me");
    let (page, viewport) = browser.widths_at(400);
    assert!(page <= viewport, "the first page after sign-in is {page} px wide in a {viewport} px viewport");
    let home = browser.body_text();
    assert!(home.contains("2 free view(s) left") && home.contains("110***********002X"), "{home}");
    browser.screenshot(&shots.join("2-home.png"));

    // The cookie as the browser holds it.
    let cookie = browser.cmd("GET", "/cookie/ob_session", None);
    assert_eq!(
        (&cookie["httpOnly"], &cookie["sameSite"], &cookie["path"]),
        (&json!(true), &json!("Strict"), &json!("/"))
    );

    // The report: the person's copy names every lender; the 24-month line is coloured cells
    // whose text is the code.
    browser.click("main a[href='/me/report']");
    browser.wait_for_path("/me/report");
    let report = browser.body_text();
    for s in
        [P_NAME, "110***********002X", "Alpha Bank", "Cautious Lender", "贷款审批", "循环贷账户", "Revolving loans"]
    {
        assert!(report.contains(s), "the report shows {s}");
    }
    for s in [Q_NAME, Q_ID, "Beta Finance", P_ID] {
        assert!(!report.contains(s), "the report must not show {s}");
    }
    let self_view = browser.text(&browser.one("#self-view"));
    assert!(self_view.contains("self-view no. 1 of 2024: within the 2 free views a year"), "{self_view}");
    let cells = browser.all("article.account:not(.plan) table.status-24 td");
    assert_eq!(cells.len(), 24);
    let codes: String = cells.iter().map(|c| browser.text(c)).collect();
    assert_eq!(codes, "NNNNNNNNNNNNNN12NNNNNNNN");
    let (normal, late) = (browser.css(&cells[0], "background-color"), browser.css(&cells[14], "background-color"));
    assert_eq!(normal, "rgba(63, 165, 90, 1)", "N is green");
    assert_eq!(late, "rgba(243, 211, 74, 1)", "1 is yellow");
    assert_eq!(browser.all("ul.legend li").len(), ob_model::RepaymentStatus::ALL.len());
    // The instalment plan sits under its line, set in, with its terms and its early repayment.
    let plans = browser.all("article.account.plan");
    assert_eq!(plans.len(), 1);
    let plan = browser.text(&plans[0]);
    for s in ["循环额度下分账户", "under line [1]", "2024-10-10", "剩余还款期数", "提前还款（部分）"]
    {
        assert!(plan.contains(s), "the plan shows {s}: {plan}");
    }
    assert_eq!(browser.css(&plans[0], "margin-left"), "32px", "set in under its line");
    assert!(report.contains("其他个人消费贷款") && report.contains("信用/免担保"), "the line's kind and guarantee");
    let agreements = browser.text(&browser.one("#agreements"));
    for s in ["授信协议信息", "循环贷授信额度", "CNY 8000.00", "2025-03-09", "[1] [2]"] {
        assert!(agreements.contains(s), "the agreement shows {s}: {agreements}");
    }
    browser.screenshot(&shots.join("3-report.png"));

    // The query log: the lender's look and the person's own.
    browser.click("header nav a[href='/me/inquiries']");
    browser.wait_for_path("/me/inquiries");
    let own = browser.all("#query-log tr.self");
    assert_eq!(own.len(), 1);
    let own = browser.text(&own[0]);
    assert!(own.contains("本人 / yourself") && own.contains("no. 1 this year") && own.contains("免费"), "{own}");
    let org = browser.all("#query-log tr.org");
    assert_eq!(org.len(), 1);
    let org = browser.text(&org[0]);
    assert!(
        org.contains("Cautious Lender") && org.contains("2024-06-03 10:15 UTC") && org.contains("loan approval"),
        "{org}"
    );
    browser.screenshot(&shots.join("4-query-log.png"));

    browser.click("header nav a[href='/me/authorizations']");
    browser.wait_for_path("/me/authorizations");
    assert_eq!(browser.all("#consents button[type=submit]").len(), 2, "two consents, each revocable");
    browser.screenshot(&shots.join("5-authorizations.png"));

    // On a phone (400 px): no page scrolls sideways. The report page is visited again: a refresh
    // in the same session shows the same self-view, spending no other.
    let pages = ["/me", "/me/report", "/me/inquiries", "/me/authorizations", "/me/disputes", "/me/statements"];
    for (i, path) in pages.iter().enumerate() {
        browser.goto(&format!("{base}{path}"));
        browser.wait_for_path(path);
        let (page, viewport) = browser.widths_at(400);
        assert!(viewport <= 400 && viewport > 300, "{path}: a 400 px window, viewport {viewport}");
        assert!(page <= viewport, "{path} is {page} px wide in a {viewport} px viewport: it scrolls sideways");
        browser.screenshot_at(&shots.join(format!("phone-{i}{}.png", path.replace('/', "-"))), 400);
    }
    browser.goto(&format!("{base}/me/report"));
    browser.wait_for_path("/me/report");
    let self_view = browser.text(&browser.one("#self-view"));
    assert!(self_view.contains("self-view no. 1 of 2024"), "a refresh spends no free self-view: {self_view}");
    browser.goto(&format!("{base}/me/inquiries"));
    browser.wait_for_path("/me/inquiries");
    assert_eq!(browser.all("#query-log tr.self").len(), 1, "one self-view logged for the session");

    // Signing out ends the session: /me goes back to the sign-in form.
    browser.click("header form[action='/signout'] button");
    browser.wait_for_path("/");
    browser.goto(&format!("{base}/me/report"));
    browser.wait_for_path("/");
    assert!(browser.body_text().contains("登录查看本人信用信息"));
    let (page, viewport) = browser.widths_at(400);
    assert!(page <= viewport, "the sign-in page is {page} px wide in a {viewport} px viewport");
    assert!(!browser.body_text().contains("openbureau "), "no command line on the sign-in page");
    assert_eq!(runtime.block_on(world.state.web_sessions()).unwrap(), 0);
}
