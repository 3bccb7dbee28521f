//! The exit-code table (README, `--help`, `src/exit_code.rs`) over every command: one table of
//! cases run in order on one store, and a check that every command `--help` lists has a case.
//!
//! 0 done · 1 data invalid · 2 usage or unreadable input · 3 refused by the rules · 70 internal.

use std::path::Path;
use std::process::{Output, Stdio};

/// One command line and what it must end with. In `args`, `{dir}` is the test's folder,
/// `{golden}` the formats crate's golden files, `{german}` the score crate's CSV, `{busy}` an
/// address already in use and `{blank}` one space.
struct Case {
    args: &'static str,
    code: i32,
    /// Words the output (stdout and stderr) must hold.
    says: &'static str,
}

const fn case(args: &'static str, code: i32, says: &'static str) -> Case {
    Case { args, code, says }
}

const ID: &str = "11010519491231002X";

/// The cases, in the order they run (later ones rely on earlier ones' effects).
const CASES: &[Case] = &[
    case("--version", 0, "openbureau 0.1.0 ("),
    case("--help", 0, "Exit codes:"),
    case("", 2, "Usage:"),
    case("no-such-command", 2, "unrecognized subcommand"),
    // Files in.
    case("ingest {dir}/nope.jsonl", 2, "nope.jsonl"),
    case("ingest {dir}/headerless.jsonl", 1, "HEADER_INVALID"),
    case("ingest {german}", 1, "unrecognized format"),
    case("ingest {dir}/hb.jsonl", 0, "4 accepted"),
    case("ingest {dir}/hb.jsonl", 0, "already ingested"),
    case("--policy uk ingest {dir}/hb.jsonl", 2, "--policy prc, --policy us"),
    // Reports.
    case("report", 2, "--doc-number"),
    case("report --doc-number 11010519491231002X", 0, "个人信用报告"),
    case("report --doc-number 110101199003070011", 3, "no credit file"),
    case("report --doc-number 110101199003070016", 2, "not a valid PRC resident ID"),
    case("report --doc-number 123456789", 2, "--doc-type us_ssn"),
    case("report --doc-number 11010519491231002X --org HB --reason 02", 3, "NO_CONSENT"),
    case("report --doc-number 11010519491231002X --org NOPE --reason 02", 3, "UNKNOWN_ORGANIZATION"),
    case("report --doc-number 11010519491231002X --as-of 2024-13-01", 2, "2024-13-01"),
    case("report --doc-number 11010519491231002X --org HB --reason 02 --as-of 2024-04-30", 3, "AS_OF_OWN_COPY"),
    // A furnisher's stale accounts (its account A1 was last reported for 2024-02).
    case("stale", 2, "--org"),
    case("stale --org NOPE", 3, "UNKNOWN_ORGANIZATION"),
    case("stale --org HB --as-of 2024-13-01", 2, "2024-13-01"),
    case("stale --org HB --as-of 2024-04-30", 0, "0 open accounts of HB"),
    case("stale --org HB --as-of 2030-01-01", 0, r#""account_key":"A1","last_reported_month":"2024-02""#),
    case("backup", 2, "DEST"),
    case("backup {dir}/store.backup", 0, "backup written"),
    case("restore", 2, "SRC"),
    case("restore {dir}/no-such.backup", 2, "no backup"),
    case("explain", 2, "--doc-number"),
    case("explain --doc-number 11010519491231002X", 0, "永远不会记录的内容"),
    case("explain --doc-number 11010519491231002X --format json", 0, "never_sent_purchase"),
    case("explain --doc-number 110101199003070011", 3, "no credit file"),
    // Disputes, statements, consents, flags, retention.
    case("dispute file --doc-number 11010519491231002X --account A1 --month 2024-02 --type deny_overdue", 0, "filed"),
    case(
        "dispute file --doc-number 11010519491231002X --account A1 --month 2024-02 --type wrong_status",
        3,
        "DISPUTE_OPEN",
    ),
    case("dispute file --doc-number 11010519491231002X --type deny_overdue", 2, "--account"),
    case("dispute list --doc-number 11010519491231002X", 0, "id\titem\taccount"),
    case("dispute list --doc-number 11010519491231002X --format json", 0, "\"history\""),
    case("dispute queue --org HB", 0, "deny_overdue"),
    case("dispute queue --org NOPE", 3, "the codes on file: HB"),
    case("dispute certify --org HB --id 1 --note accurate", 3, "DISPUTE_NOT_DELETED"),
    case("dispute answer --org HB --id 1 --outcome verified --note checked", 0, "answered"),
    case("dispute answer --org HB --id 1 --outcome verified", 3, "DISPUTE_CLOSED"),
    case("dispute answer --org HB --id 99 --outcome verified", 3, ""),
    case("dispute tell --doc-number 11010519491231002X --id 1", 0, "dispute"),
    case("dispute tell --doc-number 11010519491231002X --id 99", 3, "UNKNOWN_DISPUTE"),
    case("dispute tell --doc-number 11010519491231002X --id 1 --inquiry Q99", 3, "UNKNOWN_ITEM"),
    case("dispute tell --doc-number 11010519491231002X", 2, "--id"),
    case("dispute notices --doc-number 11010519491231002X --format json", 0, "[]"),
    case("dispute notice-queue --org HB", 0, "id\treport"),
    case("dispute notice-queue --org NOPE", 3, "UNKNOWN_ORGANIZATION"),
    case(
        "statement add --doc-number 11010519491231002X --account A1 --month 2024-02 --type other --text late",
        0,
        "added",
    ),
    case(
        "statement add --doc-number 11010519491231002X --account A1 --month 2024-02 --type other --text {blank}",
        1,
        "STATEMENT_EMPTY",
    ),
    case("statement list --doc-number 11010519491231002X", 0, "\tother\t"),
    case("statement list --doc-number 11010519491231002X --format json", 0, "\"statement_type\""),
    case("statement withdraw --doc-number 11010519491231002X --id 99", 3, "UNKNOWN_ITEM"),
    case("statement withdraw --doc-number 11010519491231002X --id 1", 0, "withdrawn"),
    case("consent list --doc-number 11010519491231002X", 0, "C1\tHB"),
    case("consent list --doc-number 11010519491231002X --format json", 0, "\"consent_ref\""),
    case("consent list --doc-number 11010519491231002X --format yaml", 2, "json"),
    case("consent revoke --doc-number 11010519491231002X --consent C9", 3, "UNKNOWN_ITEM"),
    case(
        "consent add --doc-number 11010519491231002X --org HB --purpose 99 --evidence {dir}/hb.jsonl",
        2,
        "--purpose 99",
    ),
    case("consent add --doc-number 11010519491231002X --org HB --purpose 02 --evidence {dir}/nope", 2, "--evidence"),
    case(
        "consent add --doc-number 11010519491231002X --org NOPE --purpose 02 --evidence {dir}/hb.jsonl",
        3,
        "UNKNOWN_ORGANIZATION",
    ),
    case(
        "consent add --doc-number 11010519491231002X --org HB --purpose 02 --evidence {dir}/hb.jsonl --expires-on 2020-01-01",
        1,
        "EXPIRY_PASSED",
    ),
    case("flag place --doc-number 11010519491231002X --kind freeze", 0, "placed"),
    case("flag lift --doc-number 11010519491231002X --kind freeze", 0, "lifted"),
    case("flag place --doc-number 11010519491231002X --kind lock", 2, "freeze"),
    case("retention run", 0, "retention (prc)"),
    case("audit verify", 0, "intact"),
    case("audit checkpoint", 0, "checkpoint signed"),
    case("audit public-key", 0, ""),
    case("key rotate --page-rows 0", 2, "page-rows"),
    case("key rotate", 0, "from version 1 to 2"),
    case("audit verify", 0, "intact"),
    // Organizations, operators, people.
    case("org add --code BANK --name Bank --role lender", 0, "BANK"),
    case("org add --code BANK2 --role admin", 2, "furnisher or lender"),
    case("org add --code BANK --role lender --type 11", 0, "BANK"),
    case("org add --code BANK --role lender --type 77", 2, "not an institution type"),
    case("org key --code BANK", 0, "shown once"),
    case("org key --code NOPE", 3, "UNKNOWN_ORGANIZATION"),
    case("org revoke --key-sha256 zz", 2, "zz"),
    case("org list", 0, "code\troles\tname"),
    case("org list --format json", 0, "\"roles\""),
    case("admin key", 0, "shown once"),
    case("person password --doc-number 11010519491231002X", 0, "password set"),
    case("person password --doc-number 110101199003070011", 3, "no credit file"),
    case("consent revoke --doc-number 11010519491231002X --consent C1", 0, "revoked"),
    // Score.
    case("score build --as-of 2024-10-31", 3, "TOO_FEW_OUTCOMES"),
    case("score train --data {german} --target creditability --bad bad --out {dir}/model.json", 0, "AUC"),
    case("score train --data {german} --target nope --bad bad --out {dir}/m2.json", 1, "nope"),
    case("score train --data {dir}/nope.csv --target creditability --bad bad --out {dir}/m3.json", 2, "nope.csv"),
    case("score apply --model {dir}/model.json --data {german} --out {dir}/scored.csv", 0, ""),
    case("score apply --model {dir}/nope.json --data {german} --out {dir}/scored.csv", 2, "nope.json"),
    // Furnisher formats.
    case("metro2 validate {golden}/metro2/character_lf.dat", 0, ""),
    case("metro2 validate {golden}/metro2/invalid_fields.dat", 1, ""),
    case("metro2 validate {dir}/nope.dat", 2, "nope.dat"),
    case("metro2 convert {golden}/metro2/character_lf.dat --to json --output {dir}/m2.json", 0, ""),
    case("metro2 convert {golden}/metro2/invalid_garbage.dat --to json --output {dir}/bad.json", 1, ""),
    case("metro2 print {golden}/metro2/character_lf.dat", 0, "HEADER"),
    case("metro2 print {dir}/nope.dat", 2, "nope.dat"),
    case("pboc validate {golden}/pboc/valid_210.txt", 0, ""),
    case("pboc validate {golden}/pboc/invalid_dates.txt --feedback-dir {dir}/pfb", 1, ""),
    case("pboc validate {golden}/pboc/invalid_count.txt", 1, ""),
    case("pboc validate {dir}/nope.txt", 2, "nope.txt"),
    case("pboc convert {golden}/pboc/valid_210.txt --to jsonl --output {dir}/v.jsonl", 0, ""),
    case("pboc convert {golden}/pboc/invalid_count.txt --to jsonl --output {dir}/w.jsonl", 1, ""),
    // Simulation and demo.
    case("simulate --people 5 --months 2 --seed 1 --out {dir}/sim", 0, ""),
    case("simulate --months 121 --out {dir}/sim2", 2, "121"),
    case("simulate --people 0 --out {dir}/sim3", 2, "0"),
    case("demo --months 0", 2, "0"),
    case("demo --people 0", 2, "0"),
    // Serving, documents, the shell.
    case("serve --listen nonsense", 2, "nonsense"),
    case("serve --listen {busy}", 2, "serving on"),
    case("openapi", 0, "\"openapi\": \"3.1"),
    case("completions bash", 0, "_openbureau"),
    case("completions zsh", 0, "#compdef openbureau"),
    case("completions tcsh", 2, "bash"),
    case("man", 0, ".TH openbureau"),
];

mod common;

fn run(data: &Path, args: &[String]) -> Output {
    common::openbureau(data)
        .args(args)
        .env("OPENBUREAU_PASSWORD", "correct horse battery staple")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Runs one case and checks its exit code and words; `vars` fills the placeholders.
fn check(data: &Path, vars: &[(&str, String)], case: &Case) {
    let mut args: Vec<String> = case.args.split_whitespace().map(str::to_owned).collect();
    for arg in &mut args {
        for (name, value) in vars {
            *arg = arg.replace(name, value);
        }
    }
    let out = run(data, &args);
    let said = common::text(&out);
    assert_eq!(out.status.code(), Some(case.code), "openbureau {}\n{said}", case.args);
    assert!(said.contains(case.says), "openbureau {}: expected {:?} in\n{said}", case.args, case.says);
    if case.code != 0 {
        assert!(!said.contains("panicked"), "openbureau {}\n{said}", case.args);
        assert!(!said.contains(ID), "errors never echo an ID number: openbureau {}\n{said}", case.args);
    }
}

const LINES: &[&str] = &[
    r#"{"kind":"header","format":"openbureau.jsonl","version":1,"furnisher":"HB"}"#,
    r#"{"kind":"consent","subject":{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}},"scope":"report","granted_on":"2024-01-01","expires_on":"2030-01-01","evidence_sha256":"abababababababababababababababababababababababababababababababab"}"#,
    r#"{"kind":"account","account_key":"A1","subject":{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}},"account_type":"R1","opened_on":"2024-01-10","currency":"CNY","credit_limit":500000}"#,
    r#"{"kind":"notice","account_key":"A1","notified_on":"2024-02-01","channel":"sms"}"#,
    r#"{"kind":"month","account_key":"A1","month":"2024-02","settled_on":"2024-02-29","balance":50000,"used_amount":50000,"amount_due":5000,"amount_paid":0,"past_due_amount":5000,"days_past_due":20,"status":"1","class5":"2","last_payment_on":"2024-01-09"}"#,
];

#[test]
fn every_command_exits_by_the_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hb.jsonl"), LINES.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("headerless.jsonl"), "{\"kind\":\"month\"}\n").unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars = [
        ("{dir}", dir.path().display().to_string()),
        ("{golden}", manifest.join("../formats/tests/golden").display().to_string()),
        ("{german}", manifest.join("../score/tests/data/german_credit.csv").display().to_string()),
        ("{busy}", busy.local_addr().unwrap().to_string()),
        ("{blank}", " ".to_string()),
    ];
    let data = dir.path().join("data");
    for case in CASES {
        check(&data, &vars, case);
    }
}

/// The subcommands `openbureau PATH --help` lists (none for a leaf).
fn subcommands(path: &[String]) -> Vec<String> {
    let out = common::bare().args(path).arg("--help").output().unwrap();
    assert!(out.status.success(), "{path:?} --help");
    let help = String::from_utf8(out.stdout).unwrap();
    let Some(list) = help.split("\nCommands:\n").nth(1) else { return Vec::new() };
    list.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every leaf command, as the words that name it.
fn leaves(path: Vec<String>) -> Vec<Vec<String>> {
    let subs = subcommands(&path);
    if subs.is_empty() {
        return vec![path];
    }
    subs.into_iter()
        .flat_map(|s| {
            let mut p = path.clone();
            p.push(s);
            leaves(p)
        })
        .collect()
}

#[test]
fn every_command_has_a_case_in_the_table() {
    let all = leaves(Vec::new());
    assert!(all.len() > 30, "the help lists the commands: {all:?}");
    let cased: Vec<Vec<&str>> = CASES
        .iter()
        .map(|c| {
            let words: Vec<&str> = c.args.split_whitespace().collect();
            // A leading `--policy X` is a global option, not a command word.
            if words.first() == Some(&"--policy") { words[2..].to_vec() } else { words }
        })
        .collect();
    for leaf in &all {
        assert!(
            cased.iter().any(|words| words.len() >= leaf.len() && words[..leaf.len()] == leaf[..]),
            "no exit-code case for `openbureau {}`",
            leaf.join(" ")
        );
    }
}
