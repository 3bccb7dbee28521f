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
    let person = &truth[0];
    let document = DocumentNumber::parse(person.document_type, &person.document_number).unwrap();
    let report =
        bureau.produce_report(&ReportRequest { document, as_of: Some(as_of), requester: Requester::Person }).unwrap();
    let section = report.score.clone().expect("score on the report");
    assert_eq!(section.model_version, built.version);
    assert!(section.percentile <= 99);
    assert!(section.reasons.len() <= 5 && section.reasons.iter().all(|r| !r.zh.is_empty() && !r.en.is_empty()));

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
    };
    for (i, subject) in ids.iter().enumerate().take(200) {
        let report = assemble(r.as_ref(), bureau.keys(), bureau.policy(), *subject, &ctx).unwrap();
        assert_eq!(model.score(&report).unwrap().score, from_csv[i], "subject {i}");
    }
    let reloaded = ScoreModel::from_row(&r.latest_score_model().unwrap().unwrap()).unwrap();
    assert_eq!(reloaded.score(&report).unwrap(), section, "a stored model scores identically");
}
