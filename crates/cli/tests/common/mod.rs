//! What the CLI's tests share: the binary without the user's settings, and its output as text.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Settings a developer's shell may hold that would change what a test sees.
const USER_SETTINGS: &[&str] = &[
    "OPENBUREAU_KEY",
    "OPENBUREAU_DATA",
    "OPENBUREAU_KEY_FILE",
    "OPENBUREAU_POLICY",
    "OPENBUREAU_PASSWORD",
    "OPENBUREAU_STORE",
    "OPENBUREAU_WORKERS",
];

/// `openbureau` with none of the user's settings (no `--data`).
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openbureau"));
    for v in USER_SETTINGS {
        cmd.env_remove(v);
    }
    cmd
}

/// `openbureau --data DATA`, with none of the user's settings.
pub fn openbureau(data: &Path) -> Command {
    let mut cmd = bare();
    cmd.arg("--data").arg(data);
    cmd
}

/// Standard output then standard error, as text.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// One HTTP/1.1 exchange; the whole answer as text.
pub fn http(addr: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A GET with an API key.
pub fn get(addr: &str, path: &str, key: &str) -> String {
    http(addr, &format!("GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n"))
}

/// A POST of `body` with extra header lines.
pub fn post(addr: &str, path: &str, headers: &str, content_type: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{headers}content-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The word after `label` on the line holding it.
pub fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let line = text.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    let rest = &line[line.find(label).unwrap() + label.len()..];
    rest.split_whitespace().next().unwrap()
}

/// Starts `openbureau demo --serve` (200 people, 12 months) on a free port, over `store` when
/// given; waits until it listens. The child, what it printed, and its address.
pub fn demo_serve(data: &Path, store: Option<&str>) -> (Child, String, String) {
    // A free port, given back at once: the demo prints its address, so it must know it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = openbureau(data);
    if let Some(store) = store {
        cmd.args(["--store", store]);
    }
    let mut child = cmd
        .args(["demo", "--people", "200", "--months", "12", "--serve", "--listen", &addr])
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
    // Keep draining both pipes, so that the server never blocks on a full one.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, printed, addr)
}
