//! Evaluation on the German Credit data (UCI, CC BY 4.0; see tests/data/README.md).

use ob_score::csv_io::{CsvData, write_scores};
use ob_score::train::{DEFAULT_SEED, TrainConfig, train};
use ob_score::{Model, Table};
use std::io::Write;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/german_credit.csv");
const TARGET: &str = "creditability";

/// Seeds of the five splits whose mean holdout AUC is tested.
const EVALUATION_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
/// The holdout AUC the issue asks for.
const MIN_HOLDOUT_AUC: f64 = 0.78;

fn german() -> (CsvData, Table, Vec<bool>) {
    let data = CsvData::read(std::fs::File::open(DATA).expect("the German data ships with the crate")).unwrap();
    let is_bad = data.target(TARGET, "bad").unwrap();
    let table = data.infer_table(&[TARGET]).unwrap();
    (data, table, is_bad)
}

/// One 70/30 split of 1,000 rows leaves 300 holdout rows, so a single split's AUC swings by ±0.03;
/// the test takes the mean over five seeded splits (seeds 1–5) and prints each one and the
/// default seed's.
#[test]
fn german_credit_holdout_auc_reaches_0_78_on_average_over_five_splits() {
    let (_, table, is_bad) = german();
    let mut total = 0.0;
    for seed in EVALUATION_SEEDS {
        let trained = train(&table, &is_bad, &TrainConfig { seed, ..TrainConfig::default() }).unwrap();
        let holdout = trained.report.holdout.expect("300 holdout rows of both classes");
        println!(
            "German credit, seed {seed}: holdout AUC {:.4}, KS {:.4}, Gini {:.4}, {} variables",
            holdout.auc,
            holdout.ks,
            holdout.gini,
            trained.model.variables.len()
        );
        total += holdout.auc;
    }
    let mean = total / EVALUATION_SEEDS.len() as f64;
    let default = train(&table, &is_bad, &TrainConfig::default()).unwrap().report.holdout.unwrap();
    println!("German credit, default seed {DEFAULT_SEED}: holdout AUC {:.4}", default.auc);
    // Written to the stderr handle, not with `eprintln!`, so that it shows even when the harness
    // captures the output of passing tests.
    let summary = format!("German credit: mean holdout AUC over seeds 1-5 = {mean:.4} (required ≥ {MIN_HOLDOUT_AUC})");
    writeln!(std::io::stderr(), "{summary}").unwrap();
    assert!(mean >= MIN_HOLDOUT_AUC, "mean holdout AUC {mean:.4} < {MIN_HOLDOUT_AUC}");
}

#[test]
fn german_credit_scorecard_snapshot() {
    let (_, table, is_bad) = german();
    let trained = train(&table, &is_bad, &TrainConfig::default()).unwrap();
    insta::assert_snapshot!("german_scorecard", trained.model.card_text());
}

#[test]
fn points_of_every_german_row_sum_to_its_score_exactly() {
    let (_, table, is_bad) = german();
    let model = train(&table, &is_bad, &TrainConfig::default()).unwrap().model;
    let scores = model.score_table(&table).unwrap();
    for row in 0..table.rows() {
        let e = model.explain(&table, row).unwrap();
        let sum: i32 = e.base_points + e.contributions.iter().map(|c| c.points).sum::<i32>();
        assert_eq!(sum, e.score, "row {row}");
        assert_eq!(e.score, scores.score[row], "row {row}");
        assert_eq!(e.probability_bad, scores.probability_bad[row]);
    }
}

#[test]
fn a_saved_and_loaded_german_model_scores_identically() {
    let (_, table, is_bad) = german();
    let model = train(&table, &is_bad, &TrainConfig::default()).unwrap().model;
    let mut file = Vec::new();
    model.write_json(&mut file).unwrap();
    let loaded = Model::read_json(file.as_slice()).unwrap();
    assert_eq!(model.score_table(&table).unwrap(), loaded.score_table(&table).unwrap());
}

#[test]
fn scores_written_as_csv_keep_every_input_column_and_add_the_scores() {
    let (data, table, is_bad) = german();
    let model = train(&table, &is_bad, &TrainConfig::default()).unwrap().model;
    let scores = model.score_table(&data.table_for(&model).unwrap()).unwrap();
    assert_eq!(scores, model.score_table(&table).unwrap(), "the model's columns alone score alike");
    let mut out = Vec::new();
    write_scores(&mut out, &data, &model, &scores).unwrap();
    let written = CsvData::read(out.as_slice()).unwrap();
    let mut expected: Vec<String> = data.headers().to_vec();
    expected.extend(["score", "probability_bad", "reason_1", "reason_2", "reason_3", "reason_4"].map(String::from));
    assert_eq!(written.headers(), expected.as_slice());
    assert_eq!(written.rows(), 1000);
    let reread = written.infer_table(&[]).unwrap();
    let column = reread.column("score").unwrap();
    let ob_score::ColumnValues::Numeric(values) = &column.values else { panic!("score is numeric") };
    let as_int: Vec<i32> = values.iter().map(|&v| v as i32).collect();
    assert_eq!(as_int, scores.score);
}
