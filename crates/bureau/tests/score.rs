//! The bureau score: built from the store's own history, carried by every report, and the same
//! whether computed by the report or by the scorecard tools on exported features.

use ob_bureau::Bureau;
use ob_bureau::clock::{Clock, ManualClock};
use ob_bureau::crypto::Keys;
use ob_bureau::ingest::IngestOptions;
use ob_bureau::report::{Copy, ReportContext, ReportRequest, Requester, assemble};
use ob_bureau::score::{FEATURES, ScoreModel};
use ob_model::policy::Policy;
use ob_model::{DocumentNumber, QueryReason, YearMonth};
use ob_sim::SimConfig;
use ob_store::Store;
use std::sync::Arc;

#[test]
fn a_built_score_is_on_every_report_and_equals_the_scorecard_on_exported_features() {
    let dir = tempfile::tempdir().unwrap();
    let end_month = YearMonth::parse("2025-12").unwrap();
    let config = SimConfig { people: 600, months: 24, seed: 11, end_month, ..Default::default() };
    let sim = ob_sim::simulate(&config, dir.path()).unwrap();
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    // This test is about scoring; notices are another test's business.
    let policy = Policy { notice_before_negative: false, ..Policy::prc() };
    let mut bureau = Bureau::new(ob_store::testing::scratch_from_env(), Keys::from_master(&[4; 32]), clock.clone())
        .unwrap()
        .with_policy(policy);
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: false,
        cached_max: None,
        prefetch: None,
    };
    for f in &sim.files {
        clock.set(f.deliver_on.with_hms(2, 0, 0).unwrap().assume_utc());
        bureau.ingest_path(&f.path, &options, &mut std::io::sink(), &mut |_| {}).unwrap();
    }
    clock.set(end_month.plus(1).day(20).midnight().assume_utc());
    let as_of = end_month.plus(-12).last_day();
    let built = bureau.build_score(as_of).unwrap();
    assert!(built.bad >= 10 && built.people > 500, "{built:?}");
    assert!(built.holdout_auc > 0.7, "the score separates: AUC {}", built.holdout_auc);

    // Every report now carries the score, its percentile and reasons in both languages.
    let truth = ob_sim::read_truth(dir.path().join("truth.jsonl")).unwrap();
    let document_of = |i: usize| DocumentNumber::parse(truth[i].document_type, &truth[i].document_number).unwrap();
    let mut ask = |i: usize, as_of: time::Date| {
        bureau.produce_report(&ReportRequest {
            document: document_of(i),
            as_of: Some(as_of),
            requester: Requester::Person,
        })
    };
    let (report, section) = (0..truth.len())
        .map(|i| ask(i, as_of).unwrap())
        .find_map(|r| r.score.clone().filter(|s| s.score.is_some()).map(|s| (r, s)))
        .expect("someone is scored");
    assert_eq!(section.model_version, built.version);
    assert!(section.percentile.is_some_and(|p| p <= 99));
    assert!(section.reasons.len() <= 5 && section.reasons.iter().all(|r| !r.zh.is_empty() && !r.en.is_empty()));
    // No report as of a day in the future, nor before the person was born.
    let code = |r: ob_bureau::Result<ob_bureau::report::Report>| r.err().and_then(|e| e.refusal()).map(|r| r.code());
    assert_eq!(code(ask(0, clock.now().date() + time::Duration::days(1))), Some("FUTURE_DATE"));
    assert_eq!(code(ask(0, truth[0].birth_date - time::Duration::days(1))), Some("AS_OF_BEFORE_BIRTH"));
    // Before the first account (the simulation starts in 2024-01), a file holds nothing to score:
    // no score, no reason, and why.
    let before = ask(0, time::macros::date!(2023 - 06 - 30)).unwrap().score.expect("the score section");
    assert_eq!((before.score, before.percentile, before.reasons.len()), (None, None, 0));
    assert_eq!(before.not_scored.map(|w| w.code).as_deref(), Some("insufficient_file_no_accounts"));

    // The same numbers through the CSV path the `score apply` command uses.
    let training = bureau.score_training_rows(as_of).unwrap();
    let (ids, rows) = (training.subjects, training.rows);
    let mut csv = FEATURES.iter().map(|f| f.name).collect::<Vec<_>>().join(",") + "\n";
    for row in &rows {
        let cells: Vec<String> = row.iter().map(|v| v.map_or(String::new(), |x| x.to_string())).collect();
        csv += &(cells.join(",") + "\n");
    }
    let data = ob_score::csv_io::CsvData::read(csv.as_bytes()).unwrap();
    let model = bureau.score_model().unwrap().unwrap();
    let from_csv = model.model.score_table(&data.table_for(&model.model).unwrap()).unwrap().score;
    let r = bureau.store().read().unwrap();
    let ctx = ReportContext {
        report_id: "t".into(),
        produced_at: clock.now(),
        as_of,
        copy: Copy::Person,
        reason: QueryReason::SelfQuery,
        institution: None,
        querying_org: None,
    };

    for (i, subject) in ids.iter().enumerate() {
        let report = assemble(r.as_ref(), bureau.keys(), bureau.policy(), *subject, &ctx).unwrap();
        let section = model.score(&report).unwrap();
        let accounts: Vec<_> = report.own_accounts().collect();
        let on_file = accounts.iter().flat_map(|a| &a.history).any(|h| h.status != ob_model::RepaymentStatus::NotOpen);
        // The model trains on the files it scores: each of them is scored.
        assert!(on_file, "subject {i} trained on an empty file");
        assert_eq!(section.score, Some(from_csv[i]), "subject {i}");
        // Each reason is true of the file: revolving use only with an open revolving line used
        // 30 % or more; late payments only with a late month on file.
        for reason in &section.reasons {
            let revolving: Vec<_> = accounts.iter().filter(|a| !a.closed && a.account_type.is_revolving()).collect();
            let (used, limit) = revolving
                .iter()
                .fold((0, 0), |(u, l), a| (u + a.latest.as_ref().map_or(0, |m| m.used_amount), l + a.credit_limit));
            let late = accounts.iter().flat_map(|a| &a.history).any(|h| h.status.overdue_periods().is_some());
            match reason.code.as_str() {
                "revolving_utilization_pct" => {
                    assert!(limit > 0 && used * 100 >= limit * 30, "subject {i}: {reason:?}")
                }
                c if c.starts_with("worst_status") => assert!(late, "subject {i}: {reason:?}"),
                _ => {}
            }
        }
    }

    let reloaded = ScoreModel::from_row(&r.latest_score_model().unwrap().unwrap()).unwrap();
    assert_eq!(reloaded.score(&report).unwrap(), section, "a stored model scores identically");
}
