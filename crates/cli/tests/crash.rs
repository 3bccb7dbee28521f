//! Crash safety (issue 17, point 1): the real binary is killed with SIGKILL at points spread over
//! an ingest of simulated files — `openbureau ingest`, and `openbureau serve` while the files are
//! uploaded over HTTP — (delays drawn from a seeded generator), then the same files are sent again. Every time, the store must end equal to a reference store that ingested
//! them with no crash — each batch in once, no account-month lost or doubled —, its audit chain
//! must verify, and every feedback file must be whole.
//!
//! `CRASH_POINTS` (default 10, as CI runs it) sets the number of kills; `CRASH_POINTS=100` is the
//! full run.

mod common;

use common::{openbureau, text};
use ob_store::{Location, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The simulated files in delivery order: by month, then furnisher.
fn delivery_order(sim: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(String, String, PathBuf)> = Vec::new();
    for furnisher in std::fs::read_dir(sim).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        for file in std::fs::read_dir(&furnisher).unwrap().map(|e| e.unwrap().path()) {
            if file.extension().is_some_and(|x| x == "jsonl") {
                let month = file.file_stem().unwrap().to_string_lossy().into_owned();
                let code = furnisher.file_name().unwrap().to_string_lossy().into_owned();
                files.push((month, code, file));
            }
        }
    }
    files.sort();
    files.into_iter().map(|(_, _, f)| f).collect()
}

/// The store's counts of every kind of row.
fn counts(data: &Path) -> ob_store::Counts {
    let store = ob_store::open(&Location::Sqlite(data.join("openbureau.sqlite"))).unwrap();
    store.read().unwrap().counts().unwrap()
}

/// Ingests `files` into `data` to the end; the run's wall time.
fn ingest(data: &Path, files: &[PathBuf]) -> Duration {
    let started = Instant::now();
    let o = openbureau(data).arg("ingest").args(files).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    started.elapsed()
}

/// A small deterministic generator (SplitMix64), so that a failing point can be run again.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Every feedback file parses line by line as JSON: none was left half written.
fn feedback_files_are_whole(data: &Path) -> usize {
    let mut files = 0;
    let mut stack = vec![data.join("feedback")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let body = std::fs::read_to_string(&path).unwrap();
            assert!(body.is_empty() || body.ends_with('\n'), "{} ends mid-line", path.display());
            for line in body.lines() {
                assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "{}: {line}", path.display());
            }
            files += 1;
        }
    }
    files
}

/// Points to kill at: `CRASH_POINTS`, 10 by default.
fn points() -> u64 {
    std::env::var("CRASH_POINTS").ok().and_then(|n| n.parse().ok()).unwrap_or(10)
}

/// Simulated files in `dir`, in delivery order, and a reference store that ingested them with no
/// crash: the files, the reference's folder, its counts and how long its ingest took.
fn simulated_and_reference(dir: &Path) -> (Vec<PathBuf>, PathBuf, ob_store::Counts, Duration) {
    let sim = dir.join("sim");
    let args = ["simulate", "--people", "300", "--months", "12", "--seed", "17", "--end-month", "2025-12", "--out"];
    let o = openbureau(&dir.join("unused")).args(args).arg(&sim).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let files = delivery_order(&sim);
    assert!(files.len() > 30, "{} files", files.len());
    let reference = dir.join("reference");
    let took = ingest(&reference, &files);
    let want = counts(&reference);
    assert!(want.account_months > 1_000 && want.batches as usize == files.len(), "{want:?}");
    (files, reference, want, took)
}

/// The counts a crash must not change: batches, account-months, accounts, people, consents.
fn same_as_reference(data: &Path, want: &ob_store::Counts, what: &str) {
    let got = counts(data);
    assert_eq!(
        (got.batches, got.account_months, got.accounts, got.subjects, got.consents),
        (want.batches, want.account_months, want.accounts, want.subjects, want.consents),
        "{what}: the store differs from the reference"
    );
    let verify = openbureau(data).args(["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{what}: {}", text(&verify));
}

/// A fresh data folder holding the reference's key.
fn fresh(dir: &Path, name: &str, reference: &Path) -> PathBuf {
    let data = dir.join(name);
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(reference.join("openbureau.key"), data.join("openbureau.key")).unwrap();
    data
}

#[test]
fn ingest_killed_at_any_point_then_sent_again_ends_as_if_never_killed() {
    let points = points();
    let dir = tempfile::tempdir().unwrap();
    let (files, reference, want, took) = simulated_and_reference(dir.path());

    let mut seed = 0x0B5E_55ED_u64;
    let mut killed_mid_run = 0;
    for point in 0..points {
        let data = fresh(dir.path(), &format!("point-{point}"), &reference);
        let delay = Duration::from_micros(next(&mut seed) % took.as_micros().max(1) as u64);
        let mut child = openbureau(&data)
            .arg("ingest")
            .args(&files)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        if !finished {
            killed_mid_run += 1;
        }
        ingest(&data, &files);
        same_as_reference(&data, &want, &format!("point {point} (killed after {delay:?})"));
        assert!(feedback_files_are_whole(&data) > 0, "point {point}: no feedback file");
        std::fs::remove_dir_all(&data).unwrap();
    }
    eprintln!("{points} points, {killed_mid_run} killed mid-run (reference ingest took {took:?})");
    // Not vacuous: the kills land while the ingest runs (some after it, when the machine is busy).
    assert!(killed_mid_run * 4 >= points, "too few kills landed mid-run: {killed_mid_run} of {points}");
}

/// `openbureau serve` on a free port of the loopback: the child and its address.
fn serve(data: &Path) -> (Child, String) {
    let mut child = openbureau(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{line}"));
    (child, event["addr"].as_str().unwrap().to_owned())
}

/// Uploads a furnisher file with its furnisher's key; the answer's status line.
fn upload(addr: &str, keys: &std::collections::BTreeMap<String, String>, file: &Path) -> String {
    let furnisher = file.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let body = std::fs::read_to_string(file).unwrap();
    let request = format!(
        "POST /v1/batches HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer {}\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\n\r\n{body}",
        keys[&furnisher],
        body.len()
    );
    // A server killed mid-request resets the connection, or is not there: an empty answer.
    let exchange = || -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.write_all(request.as_bytes())?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    exchange().map(|a| a.lines().next().unwrap_or_default().to_owned()).unwrap_or_default()
}

#[test]
fn serve_killed_under_uploads_then_sent_again_ends_as_if_never_killed() {
    let points = points();
    let dir = tempfile::tempdir().unwrap();
    let (files, reference, want, _) = simulated_and_reference(dir.path());
    let furnishers: std::collections::BTreeSet<String> =
        files.iter().map(|f| f.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned()).collect();
    // The furnishers and their keys, made once and copied into each point's folder.
    let setup = fresh(dir.path(), "setup", &reference);
    let mut keys = std::collections::BTreeMap::new();
    for code in &furnishers {
        let o = openbureau(&setup).args(["org", "add", "--code", code, "--role", "furnisher"]).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let o = openbureau(&setup).args(["org", "key", "--code", code]).output().unwrap();
        keys.insert(code.clone(), String::from_utf8(o.stdout).unwrap().trim().to_owned());
    }
    // How long the uploads take with no crash: the range the kills are drawn from.
    let (mut server, addr) = serve(&fresh_copy(&setup, &dir.path().join("timing")));
    let started = Instant::now();
    for f in &files {
        let answer = upload(&addr, &keys, f);
        assert!(answer.starts_with("HTTP/1.1 20"), "{}: {answer:?}", f.display());
    }
    let took = started.elapsed();
    server.kill().unwrap();
    server.wait().unwrap();
    same_as_reference(&dir.path().join("timing"), &want, "uploads with no crash");

    let mut seed = 0x5E_47E5_u64;
    for point in 0..points {
        let data = fresh_copy(&setup, &dir.path().join(format!("serve-{point}")));
        let (mut server, addr) = serve(&data);
        let delay = Duration::from_micros(next(&mut seed) % took.as_micros().max(1) as u64);
        let uploader = {
            let (files, keys, addr) = (files.clone(), keys.clone(), addr.clone());
            std::thread::spawn(move || {
                for f in &files {
                    upload(&addr, &keys, f);
                }
            })
        };
        std::thread::sleep(delay);
        server.kill().unwrap(); // SIGKILL, uploads in flight
        server.wait().unwrap();
        uploader.join().unwrap();
        let (mut server, addr) = serve(&data);
        for f in &files {
            let answer = upload(&addr, &keys, f);
            assert!(answer.starts_with("HTTP/1.1 20"), "point {point}: {} answered {answer:?}", f.display());
        }
        server.kill().unwrap();
        server.wait().unwrap();
        same_as_reference(&data, &want, &format!("serve point {point} (killed after {delay:?})"));
        std::fs::remove_dir_all(&data).unwrap();
    }
    eprintln!("{points} serve points (uploads with no crash took {took:?})");
}

/// A copy of a data folder's store and key (the furnishers and keys made once).
fn fresh_copy(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for name in ["openbureau.key", "openbureau.sqlite"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    to.to_owned()
}
