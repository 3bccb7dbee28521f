//! `openbureau demo --serve`: the printed credentials work against the server it starts — the
//! lender's report request as printed, the furnisher's and the operator's keys, the person's
//! sign-in — and SIGTERM stops it.

mod common;

use common::{after, get, post};
use std::process::Command;

#[test]
fn demo_serve_prints_credentials_that_work() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, printed, addr) = common::demo_serve(&dir.path().join("demo"), None);
    let lender = after(&printed, "lender  DEMOLEND: ");
    let furnisher = after(&printed, "furnisher HUABEI: ");
    let operator = after(&printed, "operator: ");
    let document = after(&printed, "/  document ");
    let password = after(&printed, " / password ");

    let curl = printed.lines().find(|l| l.contains("/v1/reports -d '")).unwrap();
    let body = curl.split("-d '").nth(1).unwrap().trim_end_matches('\'');
    let report = post(&addr, "/v1/reports", &format!("authorization: Bearer {lender}\r\n"), "application/json", body);
    assert!(report.starts_with("HTTP/1.1 200"), "{report}");
    assert!(report.contains(r#""copy":"institution""#), "{report}");
    assert!(get(&addr, "/v1/batches", furnisher).starts_with("HTTP/1.1 200"));
    let orgs = get(&addr, "/v1/admin/orgs", operator);
    assert!(orgs.starts_with("HTTP/1.1 200") && orgs.contains("DEMOLEND"), "{orgs}");
    let form = format!("document_type=prc_resident_id&document_number={document}&password={password}");
    let signed_in = post(&addr, "/signin", "", "application/x-www-form-urlencoded", &form);
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
}
