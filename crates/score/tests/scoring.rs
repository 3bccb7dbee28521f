//! Scoring on hand-built models: reason codes, missing and unseen values, statistics, model files.

use ob_score::binning::{Bin, BinRule, Binning, Direction};
use ob_score::model::{FORMAT, FORMAT_VERSION, ModelVariable, Scaling};
use ob_score::stats::{Stats, auc, ks};
use ob_score::table::{Column, Table};
use ob_score::woe::Counts;
use ob_score::{Model, ScoreError};

fn bin(label: &str) -> Bin {
    Bin { label: label.to_owned(), counts: Counts::default(), woe: 0.0, iv: 0.0 }
}

/// A numeric variable with one cut at 0: values < 0 get `points[0]`, values ≥ 0 `points[1]`.
fn numeric(name: &str, points: [i32; 2], inquiries: bool) -> ModelVariable {
    ModelVariable {
        binning: Binning {
            variable: name.to_owned(),
            rule: BinRule::Numeric { cuts: vec![0.0], direction: Direction::Ascending },
            bins: vec![bin("< 0"), bin(">= 0")],
            missing: None,
            information_value: 0.0,
        },
        coefficient: -1.0,
        points: points.to_vec(),
        missing_points: 0,
        inquiries,
    }
}

fn model(variables: Vec<ModelVariable>) -> Model {
    Model {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        target: None,
        scaling: Scaling::default(),
        intercept: 0.0,
        base_points: 500,
        variables,
    }
}

/// One row: variable `v{i}` takes `values[i]`.
fn row(values: &[f64]) -> Table {
    Table::new(values.iter().enumerate().map(|(i, &v)| Column::numeric(format!("v{i}"), vec![v])).collect()).unwrap()
}

/// Six variables whose best bin is "≥ 0"; a row with every value negative loses
/// 10, 30, 5, 30, 20, 40 points on them.
fn six_variables(inquiries_at: Option<usize>) -> Model {
    let losses = [10, 30, 5, 30, 20, 40];
    model(
        losses
            .iter()
            .enumerate()
            .map(|(i, &loss)| numeric(&format!("v{i}"), [-loss, 0], inquiries_at == Some(i)))
            .collect(),
    )
}

fn reasons(model: &Model, table: &Table) -> Vec<String> {
    let scores = model.score_table(table).unwrap();
    model.reason_names(&scores.reasons[0]).map(str::to_owned).collect()
}

#[test]
fn reason_codes_name_the_variables_that_cost_most_against_their_best_bin() {
    let m = six_variables(None);
    // v5 costs 40; v1 and v3 tie at 30 (model order breaks the tie); then v4 (20). v0 and v2 are
    // left out: four reasons at most.
    assert_eq!(reasons(&m, &row(&[-1.0; 6])), ["v5", "v1", "v3", "v4"]);
    // Only variables that cost points are reasons.
    assert_eq!(reasons(&m, &row(&[1.0, -1.0, 1.0, 1.0, 1.0, -1.0])), ["v5", "v1"]);
    assert!(reasons(&m, &row(&[1.0; 6])).is_empty());
    let score = m.score_table(&row(&[-1.0; 6])).unwrap().score[0];
    assert_eq!(score, 500 - 135);
}

#[test]
fn an_inquiries_variable_left_out_of_the_top_four_is_a_fifth_reason() {
    // v2 (cost 5) counts inquiries: it is added fifth.
    let m = six_variables(Some(2));
    assert_eq!(reasons(&m, &row(&[-1.0; 6])), ["v5", "v1", "v3", "v4", "v2"]);
    // Already among the top four: no fifth.
    let m = six_variables(Some(1));
    assert_eq!(reasons(&m, &row(&[-1.0; 6])), ["v5", "v1", "v3", "v4"]);
    // Fewer than four reasons: the inquiries variable, if it cost, is already listed.
    let m = six_variables(Some(2));
    assert_eq!(reasons(&m, &row(&[1.0, 1.0, -1.0, 1.0, 1.0, -1.0])), ["v5", "v2"]);
}

/// Reasons among the variables a filter keeps are picked among those, not cut to four first: a
/// reason dropped leaves room for the next that cost points.
#[test]
fn reasons_where_picks_among_the_kept_variables_only() {
    let m = six_variables(Some(2));
    let table = row(&[-1.0; 6]);
    let explained = m.explain(&table, 0).unwrap();
    assert_eq!(m.reasons_where(&explained, |_| true), reasons(&m, &table), "no filter: the same reasons");
    // v5 (the costliest) is not kept: v0 (cost 10) comes in fourth, and v2 counts inquiries.
    assert_eq!(m.reasons_where(&explained, |v| v != "v5"), ["v1", "v3", "v4", "v0", "v2"]);
    // Fewer than four kept: no fifth.
    assert_eq!(m.reasons_where(&explained, |v| v == "v3" || v == "v2"), ["v3", "v2"]);
}

#[test]
fn missing_values_and_unseen_categories_score_neutral_not_as_errors() {
    let mut with_missing_bin = numeric("v0", [-10, 10], false);
    with_missing_bin.binning.missing = Some(bin("missing"));
    with_missing_bin.missing_points = -7;
    let without_missing_bin = numeric("v1", [-10, 10], false);
    let category = ModelVariable {
        binning: Binning {
            variable: "c".to_owned(),
            rule: BinRule::Categorical { groups: vec![vec!["a".into()], vec!["b".into(), "c".into()]] },
            bins: vec![bin("a"), bin("b | c")],
            missing: None,
            information_value: 0.0,
        },
        coefficient: -1.0,
        points: vec![5, -5],
        missing_points: 0,
        inquiries: false,
    };
    let m = model(vec![with_missing_bin, without_missing_bin, category]);
    let table = Table::new(vec![
        Column::numeric("v0", vec![f64::NAN, 1.0, -1.0]),
        Column::numeric("v1", vec![f64::NAN, f64::NAN, 1.0]),
        Column::categorical("c", [Some("zzz"), None, Some("c")]),
    ])
    .unwrap();
    let scores = m.score_table(&table).unwrap();
    // Row 0: missing bin −7, neutral 0, unseen 0. Row 1: 10, 0, 0. Row 2: −10, 10, −5.
    assert_eq!(scores.score, [493, 510, 495]);
    let e = m.explain(&table, 0).unwrap();
    assert_eq!(e.contributions[1].bin, "missing (not seen in training: neutral)");
    assert_eq!(e.contributions[2].bin, "unseen value (neutral)");
}

#[test]
fn a_missing_column_or_a_column_of_the_wrong_kind_is_an_error_that_names_it() {
    let m = model(vec![numeric("v0", [-1, 1], false)]);
    let err = m.score_table(&Table::new(vec![Column::numeric("other", vec![1.0])]).unwrap()).unwrap_err();
    assert!(matches!(&err, ScoreError::MissingColumn(c) if c == "v0"), "{err}");
    let err = m.score_table(&Table::new(vec![Column::categorical("v0", [Some("x")])]).unwrap()).unwrap_err();
    assert!(matches!(&err, ScoreError::ColumnKind { column, .. } if column == "v0"), "{err}");
}

#[test]
fn auc_and_ks_match_a_hand_computed_example() {
    // Bads at risks 0.9, 0.7, 0.4; goods at 0.8, 0.6, 0.5. Pairs won by the bad: 3 + 2 + 0 of 9.
    let risk = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    let is_bad = [true, false, true, false, false, true];
    assert!((auc(&risk, &is_bad).unwrap() - 5.0 / 9.0).abs() < 1e-12);
    // Cumulative bad − good shares going down: 1/3, 0, 1/3, 0, −1/3, 0.
    assert!((ks(&risk, &is_bad).unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // Ties count half, and are crossed together by KS.
    let (risk, is_bad) = ([1.0, 1.0, 0.0, 0.0], [true, false, true, false]);
    assert_eq!(auc(&risk, &is_bad), Some(0.5));
    assert_eq!(ks(&risk, &is_bad), Some(0.0));
    // Perfect separation; one class only.
    assert_eq!(auc(&[2.0, 1.0], &[true, false]), Some(1.0));
    assert_eq!(ks(&[2.0, 1.0], &[true, false]), Some(1.0));
    assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
}

#[test]
fn stats_of_scores_treat_a_lower_score_as_riskier() {
    // Scores 500, 600, 700 with the bad at 500: AUC 1, Gini 1, KS 1.
    let s = Stats::compute(&[600, 500, 700], &[0.02, 0.05, 0.01], &[false, true, false]).unwrap();
    assert_eq!((s.auc, s.gini, s.ks), (1.0, 1.0, 1.0));
    assert_eq!(s.calibration.len(), 3);
    assert_eq!(s.calibration[0].min_score, 500);
    assert_eq!(s.calibration[0].observed_bad_rate, 1.0);
}

#[test]
fn the_scale_puts_the_base_odds_at_the_base_score_and_doubles_them_every_pdo() {
    let s = Scaling::default();
    assert!((s.probability_bad(600) - 1.0 / 51.0).abs() < 1e-15);
    assert!((s.probability_bad(620) - 1.0 / 101.0).abs() < 1e-15);
    assert!((s.probability_bad(580) - 1.0 / 26.0).abs() < 1e-15);
}

#[test]
fn a_model_file_of_another_version_or_inconsistent_is_refused() {
    let m = model(vec![numeric("v0", [-1, 1], false)]);
    let mut file = Vec::new();
    m.write_json(&mut file).unwrap();
    let text = String::from_utf8(file).unwrap();
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        edit(&mut value);
        value.to_string()
    };
    let newer = edited(&|v| v["format_version"] = 2.into());
    assert!(matches!(Model::read_json(newer.as_bytes()), Err(ScoreError::Version { found: 2, supported: 1 })));
    let no_cuts = edited(&|v| v["variables"][0]["binning"]["rule"]["cuts"] = serde_json::json!([]));
    assert!(matches!(Model::read_json(no_cuts.as_bytes()), Err(ScoreError::InvalidModel(_))));
    let short = edited(&|v| v["variables"][0]["points"] = serde_json::json!([1]));
    assert!(matches!(Model::read_json(short.as_bytes()), Err(ScoreError::InvalidModel(_))));
    assert!(matches!(Model::read_json(&b"{"[..]), Err(ScoreError::ModelFile(_))));
    assert_eq!(Model::read_json(text.as_bytes()).unwrap(), m);
}
