//! Crash safety of ingest (issue 17, point 1): the real binary is killed with SIGKILL at points
//! spread over an ingest of simulated files (delays drawn from a seeded generator), then the same
//! files are sent again. Every time, the store must end equal to a reference store that ingested
//! them with no crash — each batch in once, no account-month lost or doubled —, its audit chain
//! must verify, and every feedback file must be whole.
//!
//! `CRASH_POINTS` (default 10, as CI runs it) sets the number of kills; `CRASH_POINTS=100` is the
//! full run.

mod common;

use common::{openbureau, text};
use ob_store::{Location, Store};
use std::path::{Path, PathBuf};
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

#[test]
fn ingest_killed_at_any_point_then_sent_again_ends_as_if_never_killed() {
    let points: u64 = std::env::var("CRASH_POINTS").ok().and_then(|n| n.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let args = ["simulate", "--people", "300", "--months", "12", "--seed", "17", "--end-month", "2025-12", "--out"];
    let o = openbureau(&dir.path().join("unused")).args(args).arg(&sim).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let files = delivery_order(&sim);
    assert!(files.len() > 30, "{} files", files.len());

    let reference = dir.path().join("reference");
    let took = ingest(&reference, &files);
    let want = counts(&reference);
    assert!(want.account_months > 1_000 && want.batches as usize == files.len(), "{want:?}");

    let mut seed = 0x0B5E_55ED_u64;
    let mut killed_mid_run = 0;
    for point in 0..points {
        let data = dir.path().join(format!("point-{point}"));
        // Share the reference's key, so that the stores are alike byte for byte in what they mean.
        std::fs::create_dir_all(&data).unwrap();
        std::fs::copy(reference.join("openbureau.key"), data.join("openbureau.key")).unwrap();
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
        let got = counts(&data);
        assert_eq!(
            (got.batches, got.account_months, got.accounts, got.subjects, got.consents),
            (want.batches, want.account_months, want.accounts, want.subjects, want.consents),
            "point {point} (killed after {delay:?}): the store differs from the reference"
        );
        let verify = openbureau(&data).args(["audit", "verify"]).output().unwrap();
        assert!(verify.status.success(), "point {point}: {}", text(&verify));
        assert!(feedback_files_are_whole(&data) > 0, "point {point}: no feedback file");
        std::fs::remove_dir_all(&data).unwrap();
    }
    eprintln!("{points} points, {killed_mid_run} killed mid-run (reference ingest took {took:?})");
    assert!(killed_mid_run * 2 >= points, "most kills land mid-run: {killed_mid_run} of {points}");
}
