//! `openbureau score`: train a scorecard on any CSV file, and apply it to another.

use crate::{Failure, usage};
use clap::{Args, Subcommand};
use ob_score::csv_io::{CsvData, write_scores};
use ob_score::model::Target;
use ob_score::stats::Stats;
use ob_score::train::{DEFAULT_MAX_VARIABLES, DEFAULT_MIN_IV, DEFAULT_SEED, TrainConfig, TrainReport};
use ob_score::{Model, ScoreError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `openbureau score`.
#[derive(Subcommand)]
pub enum ScoreCommand {
    /// Train a scorecard on a CSV file; print the IV table and holdout AUC/KS; write the model (JSON).
    Train(TrainArgs),
    /// Score a CSV file: every input column, plus score, probability_bad and reason_1…reason_4.
    Apply(ApplyArgs),
    /// Train the bureau score from the store's own history (outcome: 90+ days past due within
    /// the next 12 months) and store it as a new version; every report then carries the score.
    Build(BuildArgs),
}

/// `openbureau score build`.
#[derive(Args)]
pub struct BuildArgs {
    /// Take every file's features as of this day (YYYY-MM-DD); outcomes are the 12 months after.
    #[arg(long, value_parser = crate::args::date)]
    pub as_of: time::Date,
    /// Also write the training table (features and outcome, no identifiers) as CSV.
    #[arg(long)]
    pub export_features: Option<PathBuf>,
    /// Also write the model (JSON), for `score apply`.
    #[arg(long)]
    pub model_out: Option<PathBuf>,
}

/// Runs `openbureau score build`.
fn build(ctx: &crate::open::Context, a: &BuildArgs) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, crate::open::system_clock())?;
    if let Some(path) = &a.export_features {
        let ob_bureau::score::TrainingRows { rows, bad, .. } =
            bureau.score_training_rows(a.as_of).map_err(crate::commands::classify)?;
        let mut out = String::new();
        let names: Vec<&str> = ob_bureau::score::FEATURES.iter().map(|f| f.name).collect();
        out += &(names.join(",") + ",bad_within_12m\n");
        for (row, b) in rows.iter().zip(&bad) {
            let cells: Vec<String> = row.iter().map(|v| v.map_or(String::new(), |x| x.to_string())).collect();
            out += &format!("{},{}\n", cells.join(","), u8::from(*b));
        }
        std::fs::write(path, out).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    }
    let built = bureau.build_score(a.as_of).map_err(crate::commands::classify)?;
    out!("{}", built.card);
    outln!(
        "bureau score v{} built as of {}: {} files, {} went 90+ days past due within 12 months; holdout AUC {:.3}, KS {:.3}",
        built.version,
        a.as_of,
        built.people,
        built.bad,
        built.holdout_auc,
        built.holdout_ks
    );
    if let Some(path) = &a.model_out {
        let model = bureau
            .score_model()
            .map_err(crate::commands::classify)?
            .ok_or_else(|| usage("no bureau score model in the store: run `openbureau score build` first"))?;
        let file = std::fs::File::create(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        model.model.write_json(std::io::BufWriter::new(file)).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

/// `openbureau score train`.
#[derive(Args)]
pub struct TrainArgs {
    /// CSV file with a header line.
    #[arg(long)]
    pub data: PathBuf,
    /// Target column.
    #[arg(long)]
    pub target: String,
    /// Value of the target column that means "bad"; any other value is good.
    #[arg(long)]
    pub bad: String,
    /// Columns not to use (comma-separated), e.g. identifiers.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Columns that count inquiries (comma-separated): they may be a fifth reason code.
    #[arg(long, value_delimiter = ',')]
    pub inquiries: Vec<String>,
    /// Seed of the 70/30 train/holdout split: the same seed gives the same model.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Information value a variable needs to enter the model.
    #[arg(long, default_value_t = DEFAULT_MIN_IV)]
    pub min_iv: f64,
    /// Most variables in the model.
    #[arg(long, default_value_t = DEFAULT_MAX_VARIABLES)]
    pub max_variables: usize,
    /// Model file to write (JSON).
    #[arg(long)]
    pub out: PathBuf,
}

/// `openbureau score apply`.
#[derive(Args)]
pub struct ApplyArgs {
    /// Model file written by `score train`.
    #[arg(long)]
    pub model: PathBuf,
    /// CSV file to score (it needs the model's columns; any others are kept as they are).
    #[arg(long)]
    pub data: PathBuf,
    /// CSV file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `openbureau score`.
pub fn run(ctx: &crate::open::Context, command: &ScoreCommand) -> Result<(), Failure> {
    match command {
        ScoreCommand::Train(a) => train(a),
        ScoreCommand::Apply(a) => apply(a),
        ScoreCommand::Build(a) => build(ctx, a),
    }
}

/// A library error about `path`: the input's fault (exit 2) unless the fit itself failed.
fn input_error(path: &Path, e: ScoreError) -> Failure {
    match e {
        ScoreError::Fit(_) => Failure::Internal(anyhow::Error::new(e).context(path.display().to_string())),
        e => crate::invalid(format!("{}: {e}", path.display())),
    }
}

/// Reads a whole CSV file.
fn read_csv(path: &Path) -> Result<CsvData, Failure> {
    let file = File::open(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    CsvData::read(BufReader::new(file)).map_err(|e| input_error(path, e))
}

/// Creates an output file.
fn create(path: &Path) -> Result<BufWriter<File>, Failure> {
    let file = File::create(path).map_err(|e| usage(format!("cannot create {}: {e}", path.display())))?;
    Ok(BufWriter::new(file))
}

/// Runs `openbureau score train`.
pub fn train(a: &TrainArgs) -> Result<(), Failure> {
    let data = read_csv(&a.data)?;
    let is_bad = data.target(&a.target, &a.bad).map_err(|e| input_error(&a.data, e))?;
    if !is_bad.contains(&true) {
        return Err(usage(format!(
            "{}: the value `{}` never occurs in column `{}`",
            a.data.display(),
            a.bad,
            a.target
        )));
    }
    let skip: Vec<&str> = std::iter::once(a.target.as_str()).chain(a.exclude.iter().map(String::as_str)).collect();
    let table = data.infer_table(&skip).map_err(|e| input_error(&a.data, e))?;
    let config = TrainConfig {
        seed: a.seed,
        min_iv: a.min_iv,
        max_variables: a.max_variables,
        inquiries: a.inquiries.clone(),
        ..TrainConfig::default()
    };
    let trained = ob_score::train(&table, &is_bad, &config).map_err(|e| input_error(&a.data, e))?;
    let mut model = trained.model;
    model.target = Some(Target { column: a.target.clone(), bad_value: a.bad.clone() });
    out!("{}", describe_training(&trained.report));
    let mut out = create(&a.out)?;
    model.write_json(&mut out)?;
    out.flush()?;
    outln!("model with {} variables written to {}", model.variables.len(), a.out.display());
    Ok(())
}

/// The IV table and the statistics, as printed by `score train`.
fn describe_training(report: &TrainReport) -> String {
    let width = report.variables.iter().map(|v| v.variable.chars().count()).max().unwrap_or(8).max(8);
    let mut out = format!("{:width$}  {:11}  {:>4}  {:>7}  selection\n", "variable", "type", "bins", "IV");
    for v in &report.variables {
        let selection = serde_json::to_value(v.selection).ok().and_then(|s| s.as_str().map(str::to_owned));
        out += &format!(
            "{:width$}  {:11}  {:>4}  {:>7.4}  {}\n",
            v.variable,
            v.kind,
            v.bins,
            v.information_value,
            selection.unwrap_or_default().replace('_', " ")
        );
    }
    out += &describe_stats("train", report.train_rows, report.train.as_ref());
    out += &describe_stats("holdout", report.holdout_rows, report.holdout.as_ref());
    if let Some(holdout) = &report.holdout {
        out += "holdout calibration, riskiest tenth first:\n  group  rows  scores      predicted bad  observed bad\n";
        for g in &holdout.calibration {
            out += &format!(
                "  {:>5}  {:>4}  {:>4}..{:<4}  {:>13.4}  {:>12.4}\n",
                g.group, g.rows, g.min_score, g.max_score, g.predicted_bad_rate, g.observed_bad_rate
            );
        }
    }
    out
}

fn describe_stats(name: &str, rows: usize, stats: Option<&Stats>) -> String {
    match stats {
        Some(s) => {
            format!("{name}: {} rows ({} bad): AUC {:.4}  KS {:.4}  Gini {:.4}\n", s.rows, s.bads, s.auc, s.ks, s.gini)
        }
        None => format!("{name}: {rows} rows: no statistics (both classes are needed)\n"),
    }
}

/// Runs `openbureau score apply`.
pub fn apply(a: &ApplyArgs) -> Result<(), Failure> {
    let file = File::open(&a.model).map_err(|e| usage(format!("cannot read {}: {e}", a.model.display())))?;
    let model = Model::read_json(BufReader::new(file)).map_err(|e| input_error(&a.model, e))?;
    let data = read_csv(&a.data)?;
    let table = data.table_for(&model).map_err(|e| input_error(&a.data, e))?;
    let scores = model.score_table(&table).map_err(|e| input_error(&a.data, e))?;
    let mut out = create(&a.out)?;
    match write_scores(&mut out, &data, &model, &scores) {
        Err(e @ ScoreError::ColumnClash(_)) => return Err(input_error(&a.data, e)),
        other => other?,
    }
    out.flush()?;
    outln!("scored {} rows into {}", scores.score.len(), a.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cli;
    use clap::Parser;

    const GERMAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../score/tests/data/german_credit.csv");

    fn train_args(data: &Path, out: &Path) -> TrainArgs {
        TrainArgs {
            data: data.to_owned(),
            target: "creditability".into(),
            bad: "bad".into(),
            exclude: vec!["foreign_worker".into()],
            inquiries: Vec::new(),
            seed: DEFAULT_SEED,
            min_iv: DEFAULT_MIN_IV,
            max_variables: DEFAULT_MAX_VARIABLES,
            out: out.to_owned(),
        }
    }

    fn ok(r: Result<(), Failure>) {
        match r {
            Ok(()) => {}
            Err(Failure::Usage(e) | Failure::Invalid(e) | Failure::Refused(e) | Failure::Internal(e)) => {
                panic!("{e:#}")
            }
            Err(Failure::Findings) => panic!("findings"),
        }
    }

    fn usage_message(r: Result<(), Failure>) -> String {
        match r {
            Err(Failure::Usage(e) | Failure::Invalid(e)) => format!("{e:#}"),
            Err(Failure::Refused(e) | Failure::Internal(e)) => panic!("expected a usage error, got: {e:#}"),
            Err(Failure::Findings) | Ok(()) => panic!("expected a usage error"),
        }
    }

    #[test]
    fn data_is_the_csv_file_under_score_despite_the_global_data_folder() {
        let cli = Cli::try_parse_from([
            "openbureau",
            "score",
            "train",
            "--data",
            "x.csv",
            "--target",
            "t",
            "--bad",
            "1",
            "--exclude",
            "a,b",
            "--out",
            "m.json",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let crate::Command::Score(ScoreCommand::Train(a)) = cli.command else { panic!("score train") };
        assert_eq!(a.data, PathBuf::from("x.csv"));
        assert_eq!(a.exclude, ["a", "b"]);
    }

    #[test]
    fn train_then_apply_keeps_the_input_columns_and_adds_scores() {
        let dir = tempfile::tempdir().unwrap();
        let (model, scores) = (dir.path().join("model.json"), dir.path().join("scores.csv"));
        ok(train(&train_args(Path::new(GERMAN), &model)));
        let a = ApplyArgs { model: model.clone(), data: GERMAN.into(), out: scores.clone() };
        ok(apply(&a));
        let text = std::fs::read_to_string(&scores).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.starts_with("status_of_existing_checking_account,"), "{header}");
        assert!(
            header.ends_with(",creditability,score,probability_bad,reason_1,reason_2,reason_3,reason_4"),
            "{header}"
        );
        assert_eq!(text.lines().count(), 1001);
    }

    #[test]
    fn bad_input_is_a_usage_error_that_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.json");
        let missing = dir.path().join("nope.csv");
        assert!(usage_message(train(&train_args(&missing, &out))).contains("cannot read"));
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "a,b,creditability\n").unwrap();
        assert!(usage_message(train(&train_args(&empty, &out))).contains("no data rows"));
        let ragged = dir.path().join("ragged.csv");
        std::fs::write(&ragged, "a,creditability\n1,good\n2,bad,3\n").unwrap();
        let said = usage_message(train(&train_args(&ragged, &out)));
        assert!(said.contains("ragged.csv") && said.contains("line 3"), "{said}");
        let mut args = train_args(Path::new(GERMAN), &out);
        args.target = "nothing".into();
        assert!(usage_message(train(&args)).contains("column `nothing` is not in the data"));
        ok(train(&train_args(Path::new(GERMAN), &out)));
        let no_column = dir.path().join("no_column.csv");
        std::fs::write(&no_column, "x\n1\n").unwrap();
        let a = ApplyArgs { model: out, data: no_column, out: dir.path().join("s.csv") };
        assert!(usage_message(apply(&a)).contains("is not in the data"));
    }
}
