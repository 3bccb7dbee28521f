//! The `openbureau` binary: commands, output and exit codes.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{openbureau, text};

fn run(data: &Path, args: &[&str]) -> Output {
    openbureau(data).args(args).output().expect("the binary runs")
}

/// The names of the files in `dir` and its folders.
fn files_under(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names.extend(files_under(&path));
        } else {
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names
}

const HEADER: &str = r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"HB"}"#;
const ZHANG: &str =
    r#"{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}}"#;

fn write_file(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    path
}

fn good_lines() -> Vec<String> {
    vec![
        format!(
            r#"{{"kind":"consent","subject":{ZHANG},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{}"}}"#,
            "ab".repeat(32)
        ),
        format!(
            r#"{{"kind":"account","account_key":"A1","subject":{ZHANG},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}}"#
        ),
        r#"{"kind":"month","account_key":"A1","month":"2024-05","balance":100,"status":"N"}"#.to_owned(),
    ]
}

#[test]
fn ingest_with_rejections_exits_0_and_writes_feedback_then_reingest_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut lines = good_lines();
    lines.push(
        r#"{"kind":"month","account_key":"A1","month":"2024-06","balance":100,"status":"N","merchant":"shop"}"#
            .to_owned(),
    );
    let file = write_file(dir.path(), "hb.jsonl", &lines);
    let out = run(&data, &["ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("3 accepted") && said.contains("1 rejected (FIELD_BANNED 1)"), "{said}");
    assert_eq!(files_under(&data.join("feedback")), ["batch-1.feedback.jsonl"]);
    let again = run(&data, &["ingest", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again).contains("already ingested as batch 1"), "{}", text(&again));
}

#[test]
fn unreadable_files_exit_2_and_headerless_files_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let missing = run(&data, &["ingest", dir.path().join("nope.jsonl").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"kind\":\"month\"}\n").unwrap();
    let out = run(&data, &["ingest", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("line 1: HEADER_INVALID"), "{}", text(&out));
    let usage = run(&data, &["report"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn report_in_text_and_json_and_for_an_unknown_person() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    assert_eq!(run(&data, &["ingest", file.to_str().unwrap()]).status.code(), Some(0));
    let out = run(&data, &["report", "--doc-number", "11010519491231002X", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["account_groups"][0]["accounts"][0]["credit_limit"], 500000);
    assert_eq!(report["account_groups"][0]["accounts"][0]["history"].as_array().unwrap().len(), 60);
    let out = run(&data, &["report", "--doc-number", "11010519491231002X"]);
    assert!(text(&out).contains("信息概要 Summary"));
    let nobody = run(&data, &["report", "--doc-number", "110101199003070011"]);
    assert_eq!(nobody.status.code(), Some(3), "{}", text(&nobody));
    assert!(text(&nobody).contains("no credit file"));
    let bad_id = run(&data, &["report", "--doc-number", "110101199003070016"]);
    assert_eq!(bad_id.status.code(), Some(2));
    assert!(!text(&bad_id).contains("110101199003070016"), "errors never echo an ID number");
    let refused = run(&data, &["report", "--doc-number", "11010519491231002X", "--org", "HB", "--reason", "02"]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(text(&refused).contains("NO_CONSENT"));
    let audit = run(&data, &["audit", "verify"]);
    assert!(text(&audit).contains("audit chain intact"), "{}", text(&audit));
}

#[test]
fn demo_builds_a_store_and_refuses_to_overwrite_a_store_that_is_not_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = run(&data, &["demo", "--people", "120", "--months", "12"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("个人信用报告"), "{said}");
    assert!(said.contains("grid check: all"), "{said}");
    assert!(data.join("furnishers/HUABEI").is_dir());
    // A demo store may be replaced by a new demo.
    assert_eq!(run(&data, &["demo", "--people", "50", "--months", "6"]).status.code(), Some(0));

    let real = dir.path().join("real");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    assert_eq!(run(&real, &["ingest", file.to_str().unwrap()]).status.code(), Some(0));
    let refused = run(&real, &["demo", "--people", "10"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).contains("not a demo"), "{}", text(&refused));
    assert_eq!(
        run(&real, &["report", "--doc-number", "11010519491231002X"]).status.code(),
        Some(0),
        "the real store is intact"
    );
}

#[test]
fn rights_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut lines = good_lines();
    lines.push(r#"{"kind":"notice","account_key":"A1","notified_on":"2024-06-01","channel":"app"}"#.to_owned());
    lines.push(r#"{"kind":"month","account_key":"A1","month":"2024-06","balance":100,"past_due_amount":10,"days_past_due":15,"status":"1"}"#.to_owned());
    lines.push(format!(r#"{{"kind":"consent","subject":{ZHANG},"scope":"inquire","purpose":"02","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"{}"}}"#, "cd".repeat(32)));
    lines.push(
        r#"{"kind":"special","account_key":"A1","special_type":"14","on":"2024-05-18","amount":10000}"#.to_owned(),
    );
    lines.push(format!(r#"{{"kind":"agreement","agreement_key":"HB-L1","subject":{ZHANG},"limit_type":"10","currency":"CNY","credit_limit":500000,"effective_on":"2024-01-10"}}"#));
    let file = write_file(dir.path(), "hb.jsonl", &lines);
    let out = run(&data, &["ingest", file.to_str().unwrap()]);
    assert!(text(&out).contains("0 rejected"), "{}", text(&out));
    let id = ["--doc-number", "11010519491231002X"];
    let report: serde_json::Value =
        serde_json::from_slice(&run(&data, &["report", id[0], id[1], "--format", "json"]).stdout).unwrap();
    let account = report["account_groups"][0]["accounts"][0]["account_ref"].as_str().unwrap().to_owned();

    let ok = |args: &[&str]| {
        let out = run(&data, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        text(&out)
    };
    assert!(
        ok(&["dispute", "file", id[0], id[1], "--account", &account, "--month", "2024-06", "--type", "deny_overdue"])
            .contains("dispute 1 filed")
    );
    assert!(ok(&["dispute", "queue", "--org", "HB"]).contains("deny_overdue"));
    ok(&["dispute", "answer", "--org", "HB", "--id", "1", "--outcome", "verified", "--note", "checked"]);
    assert!(ok(&["dispute", "list", id[0], id[1]]).contains("verified"));
    // No organization but the answering furnisher had the item: nobody to tell.
    let told = ok(&["dispute", "tell", id[0], id[1], "--id", "1", "--format", "json"]);
    assert_eq!(told.trim(), "[]", "{told}");
    assert_eq!(ok(&["dispute", "notices", id[0], id[1], "--format", "json"]).trim(), "[]");
    assert_eq!(ok(&["dispute", "notice-queue", "--org", "HB", "--format", "json"]).trim(), "[]");
    let stranger = run(&data, &["dispute", "tell", id[0], id[1], "--id", "99"]);
    assert_eq!(stranger.status.code(), Some(3), "no such dispute: {}", text(&stranger));
    let special = report["account_groups"][0]["accounts"][0]["specials"][0]["special_ref"].as_str().unwrap();
    let agreement = report["agreements"][0]["agreement_ref"].as_str().unwrap();
    assert!(
        ok(&["dispute", "file", id[0], id[1], "--special", special, "--type", "wrong_basic_info"])
            .contains("dispute 2")
    );
    assert!(
        ok(&["dispute", "file", id[0], id[1], "--agreement", agreement, "--type", "not_mine"]).contains("dispute 3")
    );
    let queue = ok(&["dispute", "queue", "--org", "HB", "--format", "json"]);
    assert!(queue.contains(special) && queue.contains(agreement) && queue.contains("\"HB-L1\""), "{queue}");
    let both = run(
        &data,
        &["dispute", "file", id[0], id[1], "--special", special, "--account", &account, "--type", "not_mine"],
    );
    assert_eq!(both.status.code(), Some(2), "one item at a time");
    ok(&[
        "statement",
        "add",
        id[0],
        id[1],
        "--account",
        &account,
        "--month",
        "2024-06",
        "--type",
        "third_party_late",
        "--text",
        "my employer paid late",
    ]);
    assert!(ok(&["report", id[0], id[1]]).contains("my employer paid late"));
    ok(&["flag", "place", id[0], id[1], "--kind", "freeze"]);
    let frozen = run(&data, &["report", id[0], id[1], "--org", "HB", "--reason", "02"]);
    assert_eq!(frozen.status.code(), Some(3));
    assert!(text(&frozen).contains("FROZEN"));
    ok(&["flag", "lift", id[0], id[1], "--kind", "freeze"]);
    ok(&["report", id[0], id[1], "--org", "HB", "--reason", "02"]);
    let consents = ok(&["consent", "list", id[0], id[1], "--format", "json"]);
    assert!(consents.contains("\"C1\"") && consents.contains("\"C2\""), "{consents}");
    let consents = ok(&["consent", "list", id[0], id[1]]);
    assert!(consents.starts_with("consent\torganization\t") && consents.contains("\nC2\t"), "{consents}");
    ok(&["consent", "revoke", id[0], id[1], "--consent", "C2"]);
    assert_eq!(run(&data, &["report", id[0], id[1], "--org", "HB", "--reason", "02"]).status.code(), Some(3));
    // A new authorization, recorded from its signed form, lets the lender ask again.
    let form = write_file(dir.path(), "signed-form.txt", &["I authorize HB to look at my report".to_owned()]);
    let added =
        ok(&["consent", "add", id[0], id[1], "--org", "HB", "--purpose", "02", "--evidence", form.to_str().unwrap()]);
    assert!(added.starts_with("consent C3 recorded"), "{added}");
    ok(&["report", id[0], id[1], "--org", "HB", "--reason", "02"]);
    let past = run(
        &data,
        &[
            "consent",
            "add",
            id[0],
            id[1],
            "--org",
            "HB",
            "--purpose",
            "02",
            "--evidence",
            form.to_str().unwrap(),
            "--expires-on",
            "2020-01-01",
        ],
    );
    assert_eq!(past.status.code(), Some(1), "{}", text(&past));
    assert!(text(&past).contains("EXPIRY_PASSED"), "{}", text(&past));
    assert!(ok(&["retention", "run"]).contains("0 account-months purged"));
    assert!(ok(&["audit", "checkpoint"]).contains("checkpoint signed"));
    assert_eq!(ok(&["audit", "public-key"]).trim().len(), 64);
    assert!(ok(&["audit", "verify"]).contains("intact"));
    let us = run(&data, &["--policy", "us", "retention", "run"]);
    assert!(text(&us).contains("retention (us)"), "{}", text(&us));
    assert_eq!(run(&data, &["--policy", "/nope.json", "retention", "run"]).status.code(), Some(2));
}

#[test]
fn metro2_validate_convert_and_ingest() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden/metro2");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let valid = golden.join("character_lf.dat");
    let out = run(&data, &["metro2", "validate", valid.to_str().unwrap(), "--today", "2024-07-15"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let invalid = golden.join("invalid_cross_field.dat");
    let out =
        run(&data, &["metro2", "validate", invalid.to_str().unwrap(), "--today", "2024-07-15", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "errors found");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["record"].is_u64() && e["offset"].is_u64() && e["code"].is_string())
    );
    assert_eq!(run(&data, &["metro2", "validate", "/no/such/file"]).status.code(), Some(2));
    let (packed, json, back) = (dir.path().join("p.m2"), dir.path().join("p.json"), dir.path().join("c.m2"));
    for (from, to, target) in [(&valid, &packed, "packed"), (&packed, &json, "json"), (&json, &back, "character")] {
        let mut args =
            vec!["metro2", "convert", from.to_str().unwrap(), "--to", target, "--output", to.to_str().unwrap()];
        if target == "character" {
            args.push("--newline");
        }
        assert_eq!(run(&data, &args).status.code(), Some(0));
    }
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&valid).unwrap(), "character → packed → JSON → character");
    assert!(text(&run(&data, &["metro2", "print", valid.to_str().unwrap()])).contains("ACCT000000000001"));
    let out = run(&data, &["--policy", "us", "ingest", valid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("(OBTEST0001)"), "{}", text(&out));
}

#[test]
fn pboc_validate_convert_and_ingest_with_pboc_style_feedback() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden/pboc");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let valid = golden.join("valid_210.txt");
    assert_eq!(run(&data, &["pboc", "validate", valid.to_str().unwrap()]).status.code(), Some(0));
    let fb = dir.path().join("fb");
    let invalid = run(
        &data,
        &[
            "pboc",
            "validate",
            golden.join("invalid_dates.txt").to_str().unwrap(),
            "--feedback-dir",
            fb.to_str().unwrap(),
        ],
    );
    assert_eq!(invalid.status.code(), Some(1), "{}", text(&invalid));
    assert_eq!(files_under(&fb).len(), 1, "a PBOC-style feedback file");
    let count = run(&data, &["pboc", "validate", golden.join("invalid_count.txt").to_str().unwrap()]);
    assert_eq!(count.status.code(), Some(1), "a wrong record count refuses the file as invalid");
    let jsonl = dir.path().join("v.jsonl");
    assert_eq!(
        run(&data, &["pboc", "convert", valid.to_str().unwrap(), "--to", "jsonl", "--output", jsonl.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let back = dir.path().join("back.txt");
    let out = run(
        &data,
        &[
            "pboc",
            "convert",
            jsonl.to_str().unwrap(),
            "--to",
            "pboc",
            "--output",
            back.to_str().unwrap(),
            "--institution",
            "B1234567890ABC",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        run(&data, &["pboc", "validate", back.to_str().unwrap()]).status.code(),
        Some(0),
        "converted back, still valid"
    );
    // Under the PRC default, records without a consent on file are rejected, in both feedbacks.
    let out = run(&data, &["ingest", valid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("NO_CONSENT"), "{}", text(&out));
    let feedback = files_under(&data.join("feedback"));
    assert!(
        feedback.iter().any(|n| n.ends_with(".feedback.jsonl"))
            && feedback.iter().any(|n| n.ends_with(".feedback.txt")),
        "{feedback:?}"
    );
}

#[test]
fn simulate_writes_metro2_files_that_validate() {
    let dir = tempfile::tempdir().unwrap();
    let (data, out_dir) = (dir.path().join("data"), dir.path().join("sim"));
    let args = ["simulate", "--format", "metro2", "--people", "40", "--months", "3", "--end-month", "2024-06"];
    let out = run(&data, &[&args[..], &["--seed", "3", "--out", out_dir.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = out_dir.join("HUABEI").join("2024-06.m2");
    assert!(file.exists(), "{}", text(&out));
    assert!(!out_dir.join("HUABEI").join("2024-06.jsonl").exists());
    let validate = run(&data, &["metro2", "validate", file.to_str().unwrap(), "--today", "2024-07-05"]);
    assert_eq!(validate.status.code(), Some(0), "{}", text(&validate));
    let ingest = run(&data, &["--policy", "us", "ingest", out_dir.join("HUABEI").join("2024-04.m2").to_str().unwrap()]);
    assert_eq!(ingest.status.code(), Some(0), "{}", text(&ingest));
    assert!(text(&ingest).contains("(HUABEI)"), "{}", text(&ingest));
    let twin = dir.path().join("twin");
    let args = ["simulate", "--format", "canonical-us", "--people", "40", "--months", "3", "--end-month", "2024-06"];
    let out = run(&data, &[&args[..], &["--seed", "3", "--out", twin.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(twin.join("HUABEI").join("2024-06.jsonl").exists());
    assert_eq!(
        std::fs::read(out_dir.join("truth.jsonl")).unwrap(),
        std::fs::read(twin.join("truth.jsonl")).unwrap(),
        "the same people, accounts and months"
    );
    let bad = run(&data, &["simulate", "--format", "xml", "--out", twin.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2), "an unknown format is a usage error: {}", text(&bad));
}

#[test]
fn simulate_writes_pboc_style_files_that_validate_and_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let data = dir.path().join("data");
    let said = run(
        &data,
        &[
            "simulate",
            "--people",
            "60",
            "--months",
            "6",
            "--end-month",
            "2025-06",
            "--format",
            "pboc",
            "--clean",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(said.status.code(), Some(0), "{}", text(&said));
    let order = std::fs::read_to_string(out.join("ingest-order.txt")).unwrap();
    let files: Vec<&str> = order.lines().collect();
    let pboc_files: Vec<&&str> = files.iter().filter(|f| f.ends_with(".txt")).collect();
    assert!(!pboc_files.is_empty());
    for f in &pboc_files {
        assert_eq!(run(&data, &["pboc", "validate", f]).status.code(), Some(0), "{f}");
    }
    let mut args = vec!["ingest"];
    args.extend(files.iter().copied());
    let ingested = run(&data, &args);
    assert_eq!(ingested.status.code(), Some(0), "{}", text(&ingested));
    assert!(text(&ingested).contains("pboc") || text(&ingested).contains(".txt"), "{}", text(&ingested));
}

#[test]
fn org_keys_are_printed_once_kept_as_digests_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["org", "add", "--code", "HB", "--name", "Huabei", "--role", "furnisher"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(dir.path(), &["org", "key", "--code", "HB", "--label", "uploads"]);
    assert!(o.status.success(), "{}", text(&o));
    let key = String::from_utf8(o.stdout.clone()).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64, "one key of 64 hex digits on stdout");
    let digest = text(&o).lines().find_map(|l| l.trim().strip_prefix("key_sha256 ")).unwrap().to_owned();
    for name in ["openbureau.sqlite", "openbureau.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()), "{name} holds the key");
        }
    }
    let o = run(dir.path(), &["org", "list"]);
    assert!(text(&o).contains("HB\tfurnisher\tHuabei"), "{}", text(&o));
    for (args, code) in [
        (&["org", "key", "--code", "NOPE"][..], 3),
        (&["org", "add", "--code", "HB", "--role", "admin"], 2),
        (&["org", "revoke", "--key-sha256", "zz"], 2),
    ] {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
    }
    let o = run(dir.path(), &["admin", "key"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap().trim().len(), 64);
    let o = run(dir.path(), &["org", "revoke", "--key-sha256", &digest]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(dir.path(), &["org", "revoke", "--key-sha256", &digest]);
    assert_eq!(o.status.code(), Some(2), "revoked once only: {}", text(&o));
}

/// Runs `openbureau ARGS` with its standard output a pipe whose reading end is already closed,
/// as `openbureau … | head -c 0` would leave it.
fn run_into_closed_pipe(data: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    openbureau(data).args(args).stdout(writer).stderr(std::process::Stdio::piped()).output().expect("the binary runs")
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden");
    let metro2 = golden.join("metro2/character_lf.dat");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    for args in [
        &["openapi"][..],
        &["metro2", "print", metro2.to_str().unwrap()],
        &["metro2", "convert", metro2.to_str().unwrap(), "--to", "json"],
        &["man"],
        &["completions", "bash"],
        &["--help"],
        &["ingest", file.to_str().unwrap()],
        &["report", "--doc-number", "11010519491231002X"],
    ] {
        let out = run_into_closed_pipe(&data, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn two_lenders_files_of_one_name_in_one_second_keep_both_feedback_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let banned =
        r#"{"kind":"month","account_key":"A1","month":"2024-06","balance":100,"status":"N","merchant":"shop"}"#;
    let mut paths = Vec::new();
    for furnisher in ["HB", "BANK"] {
        let folder = dir.path().join(furnisher);
        std::fs::create_dir(&folder).unwrap();
        let header = HEADER.replace("\"HB\"", &format!("\"{furnisher}\""));
        let mut lines = good_lines();
        lines.push(banned.to_owned());
        std::fs::write(folder.join("m.jsonl"), format!("{header}\n{}\n", lines.join("\n"))).unwrap();
        paths.push(folder.join("m.jsonl").to_str().unwrap().to_owned());
    }
    let out = run(&data, &["ingest", &paths[0], &paths[1]]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let feedback = data.join("feedback");
    for (furnisher, batch) in [("HB", 1), ("BANK", 2)] {
        let path = feedback.join(furnisher).join(format!("batch-{batch}.feedback.jsonl"));
        let said = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(said.contains("FIELD_BANNED"), "{said}");
        assert!(text(&out).contains(path.to_str().unwrap()), "the path printed is the file written");
    }
    // A file already in the way is never replaced: the next free name is taken.
    let stale = feedback.join("HB").join("batch-3.feedback.jsonl");
    std::fs::write(&stale, "kept\n").unwrap();
    let again = dir.path().join("again.jsonl");
    let mut lines = good_lines();
    lines.push(banned.replace("2024-06", "2024-07"));
    std::fs::write(&again, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    let out = run(&data, &["ingest", again.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&stale).unwrap(), "kept\n");
    assert!(
        std::fs::read_to_string(feedback.join("HB").join("batch-3.feedback.jsonl.2")).unwrap().contains("FIELD_BANNED")
    );
}

#[test]
fn the_demo_look_further_lines_run_as_printed_from_the_data_folders_parent() {
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_openbureau"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out =
        common::bare().args(["demo", "--people", "60", "--months", "6"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("openbureau "))
        .map(|l| l.split("   #").next().unwrap())
        .collect();
    assert!(lines.len() >= 4, "{said}");
    for line in lines {
        let o = Command::new("sh").arg("-c").arg(line).current_dir(dir.path()).env("PATH", &path).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{line}: {}", text(&o));
    }
}

#[test]
fn the_policy_file_example_in_docs_rights_md_is_accepted() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rights.md")).unwrap();
    let example = doc
        .split("A policy file is JSON")
        .nth(1)
        .and_then(|rest| rest.split("```json\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("docs/rights.md shows a policy file");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, example).unwrap();
    let data = dir.path().join("data");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    assert_eq!(
        run(&data, &["--policy", policy.to_str().unwrap(), "ingest", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let out = run(&data, &["--policy", policy.to_str().unwrap(), "retention", "run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("retention (prc-strict)"), "{}", text(&out));
}

#[test]
fn a_policy_file_out_of_bounds_is_refused_naming_each_value() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let text_of = |offset: i32, years: i32| {
        format!(
            r#"{{"name":"odd","dispute_answer_days":20,"retention":{{"rule":"after_delinquency_ended","years":{years}}},
            "report_consent_required":true,"notice_before_negative":true,"free_self_views_per_year":2,
            "statement_words_max":100,"statement_chars_max":200,"fraud_alert_days":365,"report_utc_offset_minutes":{offset}}}"#
        )
    };
    std::fs::write(&policy, text_of(481, 0)).unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["--policy", policy.to_str().unwrap(), "retention", "run"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("retention.years"), "{}", text(&out));
    assert!(text(&out).contains("report_utc_offset_minutes"), "{}", text(&out));
    assert!(!data.exists(), "nothing is created under a refused policy");
    std::fs::write(&policy, text_of(-300, 7)).unwrap();
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    let out = run(&data, &["--policy", policy.to_str().unwrap(), "ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_failed_conversion_leaves_no_file_and_an_existing_one_untouched() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let kept = out.join("kept.json");
    std::fs::write(&kept, "old\n").unwrap();
    let garbage = golden.join("metro2/invalid_garbage.dat");
    let count = golden.join("pboc/invalid_count.txt");
    let fresh = out.join("fresh.out");
    for args in [
        &["metro2", "convert", garbage.to_str().unwrap(), "--to", "json", "--output", kept.to_str().unwrap()][..],
        &["metro2", "convert", garbage.to_str().unwrap(), "--to", "json", "--output", fresh.to_str().unwrap()],
        &["pboc", "convert", count.to_str().unwrap(), "--to", "jsonl", "--output", fresh.to_str().unwrap()],
    ] {
        let o = run(&data, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
    }
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old\n", "an existing file is untouched");
    assert_eq!(files_under(&out), ["kept.json"], "no new file, no partial file");
    // A conversion that succeeds replaces the file whole.
    let valid = golden.join("metro2/character_lf.dat");
    let o =
        run(&data, &["metro2", "convert", valid.to_str().unwrap(), "--to", "json", "--output", kept.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::read_to_string(&kept).unwrap().starts_with('{'));
    assert_eq!(files_under(&out), ["kept.json"]);
}

#[test]
fn metro2_print_names_every_segment_and_prints_values_as_people_read_them() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden/metro2");
    let dir = tempfile::tempdir().unwrap();
    for file in ["character_lf.dat", "packed_decimal.dat"] {
        let out = run(&dir.path().join("data"), &["metro2", "print", golden.join(file).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let said = text(&out);
        assert!(said.contains("activity date 2024-06-30"), "{said}");
        assert!(said.contains("segments base J1×2 J2×2 K1 K2 K3 K4 L1 N1"), "{said}");
        assert!(said.contains("\nTRAILER ") && said.contains("totalBaseRecords 6,"), "{said}");
        for debug in ["Some(", "None", "TrailerRecord", "Character", "Fixed"] {
            assert!(!said.contains(debug), "{file}: Rust debug text {debug:?} in\n{said}");
        }
    }
}

/// The golden character file converted to JSON by `metro2 convert` in `dir`: the data folder
/// to run with, and the JSON file.
fn golden_metro2_as_json(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden/metro2");
    let (data, json) = (dir.join("data"), dir.join("file.json"));
    let source = golden.join("character_lf.dat");
    let o = run(
        &data,
        &["metro2", "convert", source.to_str().unwrap(), "--to", "json", "--output", json.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    (data, json)
}

#[test]
fn metro2_validate_reads_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let (data, json) = golden_metro2_as_json(dir.path());
    let o = run(&data, &["metro2", "validate", json.to_str().unwrap(), "--today", "2024-07-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("JSON (checked as character), 6 records, 0 errors"), "{}", text(&o));
    let wrong = dir.path().join("wrong.json");
    let body = std::fs::read_to_string(&json).unwrap();
    assert!(body.contains("\"totalBaseRecords\":6"));
    std::fs::write(&wrong, body.replace("\"totalBaseRecords\":6", "\"totalBaseRecords\":7")).unwrap();
    let o = run(&data, &["metro2", "validate", wrong.to_str().unwrap(), "--today", "2024-07-01"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("M2_TRAILER"), "{}", text(&o));
}

#[test]
fn metro2_convert_keeps_the_source_trailer_unless_asked_and_says_when_it_differs() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/golden/metro2");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let source = golden.join("invalid_trailer.dat");
    let convert = |extra: &[&str], out: &Path| {
        let mut args = vec!["metro2", "convert", source.to_str().unwrap(), "--to", "character", "--newline"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--output", out.to_str().unwrap()]);
        run(&data, &args)
    };
    let validate = |file: &Path| run(&data, &["metro2", "validate", file.to_str().unwrap(), "--today", "2024-07-01"]);
    let kept = dir.path().join("kept.dat");
    let o = convert(&[], &kept);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("totalBaseRecords (source 7, records 6)") && text(&o).contains("kept"), "{}", text(&o));
    assert_eq!(validate(&kept).status.code(), Some(1), "the wrong totals are still there");
    let recomputed = dir.path().join("recomputed.dat");
    let o = convert(&["--recompute-trailer"], &recomputed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("recomputed"), "{}", text(&o));
    assert_eq!(validate(&recomputed).status.code(), Some(0), "{}", text(&validate(&recomputed)));
    // A valid file converted to another blocking keeps its totals and gets the new block count.
    let packed = dir.path().join("packed.dat");
    let valid = golden.join("character_lf.dat");
    let args = [
        "metro2",
        "convert",
        valid.to_str().unwrap(),
        "--to",
        "packed",
        "--variable",
        "--output",
        packed.to_str().unwrap(),
    ];
    let o = run(&data, &args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("note:"), "{}", text(&o));
    assert_eq!(validate(&packed).status.code(), Some(0), "{}", text(&validate(&packed)));
}

#[test]
fn metro2_convert_from_json_writes_only_what_passes_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    let (data, json) = golden_metro2_as_json(dir.path());
    let body = std::fs::read_to_string(&json).unwrap();
    let convert = |from: &Path, extra: &[&str]| {
        let mut args = vec!["metro2", "convert", from.to_str().unwrap(), "--to", "character", "--today", "2024-07-01"];
        args.extend_from_slice(extra);
        run(&data, &args)
    };
    // A status code on no list: refused with the validator's finding, nothing written anywhere.
    let bad = dir.path().join("bad.json");
    assert!(body.contains("\"accountStatus\":\"11\""));
    std::fs::write(&bad, body.replacen("\"accountStatus\":\"11\"", "\"accountStatus\":\"ZZ\"", 1)).unwrap();
    let out = dir.path().join("out.dat");
    let o = convert(&bad, &["--output", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("base.accountStatus") && text(&o).contains("M2_"), "{}", text(&o));
    assert!(!out.exists(), "no file when the conversion is refused");
    let o = convert(&bad, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "nothing on standard output either");
    // A trailer that disagrees is kept and said; --recompute-trailer writes the right one.
    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, body.replace("\"totalBaseRecords\":6", "\"totalBaseRecords\":7")).unwrap();
    let o = convert(&wrong, &["--output", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("trailer is kept as given"), "{}", text(&o));
    let o = convert(&wrong, &["--recompute-trailer", "--output", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&data, &["metro2", "validate", out.to_str().unwrap(), "--today", "2024-07-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Issue 15: the person's report as a PDF (printed by headless Chromium from the report page),
/// which pdftotext reads back with the person's accounts; and the plain-words explanation.
#[test]
fn a_report_as_a_pdf_holds_the_accounts_and_explain_says_what_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    assert_eq!(run(&data, &["ingest", file.to_str().unwrap()]).status.code(), Some(0));
    let usage = run(&data, &["report", "--doc-number", "11010519491231002X", "--format", "pdf"]);
    assert_eq!(usage.status.code(), Some(2), "a PDF needs --output");
    let pdf = dir.path().join("report.pdf");
    let out = run(
        &data,
        &["report", "--doc-number", "11010519491231002X", "--format", "pdf", "--output", pdf.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    for tool in ["/usr/bin/pdftotext", "/usr/bin/pdffonts"] {
        assert!(Path::new(tool).exists(), "{tool} is missing: apt-get install poppler-utils (this test does not skip)");
    }
    let read = std::process::Command::new("/usr/bin/pdftotext").arg(&pdf).arg("-").output().unwrap();
    assert!(read.status.success());
    let said = String::from_utf8_lossy(&read.stdout);
    for s in ["个人信用报告", "Personal credit report", "循环贷账户", "CNY 5000.00", "A1"] {
        assert!(said.contains(s), "the PDF holds {s:?}:\n{said}");
    }
    let fonts = std::process::Command::new("/usr/bin/pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let embedded: Vec<&str> =
        fonts.lines().skip(2).filter(|l| l.split_whitespace().rev().nth(4) == Some("yes")).collect();
    assert!(!embedded.is_empty() && embedded.len() == fonts.lines().skip(2).count(), "every font embedded:\n{fonts}");
    let looks = || {
        let out = run(&data, &["report", "--doc-number", "11010519491231002X", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["queries"].as_array().map_or(0, Vec::len)
    };
    let before = looks();
    let explain = run(&data, &["explain", "--doc-number", "11010519491231002X"]);
    assert_eq!(explain.status.code(), Some(0), "{}", text(&explain));
    let said = text(&explain);
    assert!(said.contains("you authorized it on 2024-01-01") && said.contains("merchant"), "{said}");
    assert_eq!(looks(), before + 2, "the explanation's look is logged, as the report's own is");
}

/// Issue 17: a backup of the live store, restored into an empty data folder, opens with the key,
/// verifies and gives the same report; a backup never replaces a file, a restore never replaces a
/// store, and a backup that fails its check (another key, an edited audit event) leaves nothing.
#[test]
fn backup_then_restore_verifies_and_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write_file(dir.path(), "hb.jsonl", &good_lines());
    assert_eq!(run(&data, &["ingest", file.to_str().unwrap()]).status.code(), Some(0));
    let backup = dir.path().join("store.backup");
    let o = run(&data, &["backup", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(run(&data, &["backup", backup.to_str().unwrap()]).status.code(), Some(2), "never replaces a file");

    // Restored into a new data folder holding the same key.
    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(data.join("openbureau.key"), restored.join("openbureau.key")).unwrap();
    let o = run(&restored, &["restore", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("audit chain is intact"), "{}", text(&o));
    let o = run(&restored, &["audit", "verify"]);
    assert!(text(&o).contains("audit chain intact"), "{}", text(&o));
    let report = |d: &Path| {
        let o = run(d, &["report", "--doc-number", "11010519491231002X", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["account_groups"].clone()
    };
    assert_eq!(report(&restored), report(&data));
    assert_eq!(run(&restored, &["restore", backup.to_str().unwrap()]).status.code(), Some(2), "never over a store");

    // Another key: refused, nothing left in the store's place.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("openbureau.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    let o = run(&other, &["restore", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!other.join("openbureau.sqlite").exists());
    // An audit event edited in the backup: refused as invalid, nothing left.
    let mut bytes = std::fs::read(&backup).unwrap();
    let at = bytes.windows(14).position(|w| w == b"batch.ingested").expect("the audit event in the backup");
    bytes[at..at + 14].copy_from_slice(b"batch.INGESTED");
    let edited = dir.path().join("edited.backup");
    std::fs::write(&edited, bytes).unwrap();
    let fresh = dir.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::copy(data.join("openbureau.key"), fresh.join("openbureau.key")).unwrap();
    let o = run(&fresh, &["restore", edited.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("audit chain broken"), "{}", text(&o));
    assert!(!fresh.join("openbureau.sqlite").exists());
    let left: Vec<_> = std::fs::read_dir(&fresh).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "only the key: no scratch copy left behind: {left:?}");
    // An empty file is no backup (it is not taken for a new store).
    let empty = dir.path().join("empty.backup");
    std::fs::write(&empty, b"").unwrap();
    let o = run(&fresh, &["restore", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no key check value") && !fresh.join("openbureau.sqlite").exists(), "{}", text(&o));
    // Backups are readable by their owner only.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
}
