//! `openbureau demo --serve`: the printed credentials work against the server it starts — the
//! lender's report request as printed, the furnisher's and the operator's keys, the person's
//! sign-in — and SIGTERM stops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

/// One HTTP/1.1 exchange; the whole answer as text.
fn http(addr: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn get(addr: &str, path: &str, key: &str) -> String {
    http(addr, &format!("GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n"))
}

fn post(addr: &str, path: &str, headers: &str, content_type: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{headers}content-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The word after `label` on the line holding it.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let line = text.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    let rest = &line[line.find(label).unwrap() + label.len()..];
    rest.split_whitespace().next().unwrap()
}

#[test]
fn demo_serve_prints_credentials_that_work() {
    let dir = tempfile::tempdir().unwrap();
    // A free port, given back at once: the demo prints its address, so it must know it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_openbureau"))
        .arg("--data")
        .arg(dir.path().join("demo"))
        .args(["demo", "--people", "200", "--months", "12", "--serve", "--listen", &addr])
        .env_remove("OPENBUREAU_KEY")
        .env_remove("OPENBUREAU_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("/v1/openapi.json") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the demo ended early:\n{printed}");
        printed.push_str(&line);
    }
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server did not start");
        if line.contains(r#""event":"listening""#) {
            break;
        }
    }
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
