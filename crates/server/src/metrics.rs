//! Prometheus-format counters: requests by route and status, reports produced.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    reports: AtomicU64,
}

impl Metrics {
    /// Counts a request to a route template (never the raw path) answered with `status`.
    pub fn request(&self, route: &str, status: u16) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_owned(), status)).or_default() += 1;
        }
    }

    /// Counts a report given.
    pub fn report(&self) {
        self.reports.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP openbureau_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE openbureau_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, status), n) in m.iter() {
                let route = route.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(out, "openbureau_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP openbureau_reports_total Credit reports given.\n");
        out.push_str("# TYPE openbureau_reports_total counter\n");
        let _ = writeln!(out, "openbureau_reports_total {}", self.reports.load(Ordering::Relaxed));
        out
    }
}
