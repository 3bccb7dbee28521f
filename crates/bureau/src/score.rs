//! The bureau score: features of a credit file as of a day, a scorecard trained on the store's
//! own history (outcome: 90+ days past due within the next 12 months), and, on every report, the
//! score, its percentile in the population and the reasons, in words a person understands.
//!
//! Features are computed from an assembled [`Report`], so the score always describes exactly the
//! file the report shows, and the same numbers train the model.

use crate::clock::end_of_day;
use crate::report::{Copy, Report, ReportContext, assemble};
use crate::{Bureau, BureauError, Refusal, Result};
use ob_model::{QueryReason, YearMonth};
use ob_score::{Column, Model, Table, TrainConfig};
use ob_store::{ScoreModelRow, Store, SubjectId};
use serde::Serialize;
use serde_json::json;
use time::{Date, OffsetDateTime};

/// Months ahead in which a 90+ days delinquency makes the outcome bad.
pub const OUTCOME_MONTHS: i32 = 12;
/// The overdue periods that count as "90+ days past due" (status 4: 91–120 days, and worse).
pub const BAD_OVERDUE_PERIODS: u8 = 4;
/// Subjects read per round trip when walking the population.
const SUBJECTS_PAGE: u32 = 10_000;
/// Percentile cut points stored with a model (1st … 99th).
const PERCENTILES: usize = 99;

/// One feature: its column name and what it means for a person, in Chinese and English.
#[derive(Clone, Copy, Debug)]
pub struct Feature {
    /// Column name in the model.
    pub name: &'static str,
    /// What a costly value of it means, in Chinese.
    pub reason_zh: &'static str,
    /// The same in English.
    pub reason_en: &'static str,
    /// Whether the reason is true of a file with this value: a reason must describe the file,
    /// not only the points the model took (no "late payments" for a file never late).
    pub holds: fn(f64) -> bool,
}

fn positive(v: f64) -> bool {
    v > 0.0
}
fn present(_: f64) -> bool {
    true
}
/// "A large share in use": 30 % of the limits or more.
fn high_utilization(v: f64) -> bool {
    v >= 30.0
}
/// "Balances rose": used now above the 6-month average.
fn rose(v: f64) -> bool {
    v > 100.0
}

/// One file's features, in [`FEATURES`] order; `None` where a feature does not apply.
pub type FeatureRow = [Option<f64>; FEATURES.len()];

/// The training table of a score build.
#[derive(Clone, Debug, Default)]
pub struct TrainingRows {
    /// Whose file each row is.
    pub subjects: Vec<SubjectId>,
    /// The features as of the build day.
    pub rows: Vec<FeatureRow>,
    /// Whether the file went 90+ days past due in the 12 months after.
    pub bad: Vec<bool>,
}

/// The features, in column order.
pub const FEATURES: [Feature; 11] = [
    Feature {
        name: "revolving_utilization_pct",
        reason_zh: "循环额度使用率较高",
        reason_en: "a large share of your revolving credit limits is in use",
        holds: high_utilization,
    },
    Feature {
        name: "worst_status_6m",
        reason_zh: "近6个月有逾期",
        reason_en: "late payments in the last 6 months",
        holds: positive,
    },
    Feature {
        name: "worst_status_12m",
        reason_zh: "近12个月有逾期",
        reason_en: "late payments in the last 12 months",
        holds: positive,
    },
    Feature {
        name: "worst_status_24m",
        reason_zh: "近24个月有逾期",
        reason_en: "late payments in the last 24 months",
        holds: positive,
    },
    Feature {
        name: "months_since_delinquency",
        reason_zh: "距最近一次逾期时间较短",
        reason_en: "your last late payment was recent",
        holds: present,
    },
    Feature {
        name: "open_accounts",
        reason_zh: "未结清账户数",
        reason_en: "the number of open accounts",
        holds: present,
    },
    Feature { name: "total_accounts", reason_zh: "账户总数", reason_en: "the number of accounts", holds: present },
    Feature {
        name: "oldest_account_months",
        reason_zh: "信用历史较短",
        reason_en: "a short credit history",
        holds: present,
    },
    Feature {
        name: "hard_inquiries_12m",
        reason_zh: "近12个月审批查询次数较多",
        reason_en: "many loan or card applications in the last 12 months",
        holds: positive,
    },
    Feature {
        name: "current_overdue_yuan",
        reason_zh: "当前有逾期金额",
        reason_en: "an amount is overdue now",
        holds: positive,
    },
    Feature {
        name: "used_trend_pct",
        reason_zh: "近期已用额度上升",
        reason_en: "your balances rose recently",
        holds: rose,
    },
];

/// The score section of a report (数字解读).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreSection {
    /// Model version used.
    pub model_version: u32,
    /// The score (higher is better); none when the file holds too little to score
    /// (`not_scored` says why).
    pub score: Option<i32>,
    /// Share of the population (at model build time) scoring at or below this score, 0–99.
    pub percentile: Option<u8>,
    /// The lowest score the model can give.
    pub score_min: i32,
    /// The highest score the model can give.
    pub score_max: i32,
    /// Why the score is not higher: up to 4 reasons (5 when inquiries are among them), each
    /// true of the file (a feature it holds, at a value the reason describes).
    pub reasons: Vec<ScoreReason>,
    /// Why there is no score: an insufficient file (no account on file as of the report's day,
    /// or none reported in the 6 months before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_scored: Option<ScoreReason>,
}

/// Months before the report's day within which an account must have been reported for a score.
pub const SCORE_RECENT_MONTHS: i32 = 6;

/// One reason code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreReason {
    /// The feature.
    pub code: String,
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

/// A stored model, parsed.
#[derive(Debug)]
pub struct ScoreModel {
    /// Version.
    pub version: u32,
    /// The scorecard.
    pub model: Model,
    /// 99 cut points.
    pub percentiles: Vec<i32>,
}

impl ScoreModel {
    /// Parses a stored row.
    pub fn from_row(row: &ScoreModelRow) -> Result<ScoreModel> {
        let corrupt =
            |e: String| BureauError::Store(ob_store::StoreError::Corrupt(format!("score model {}: {e}", row.version)));
        let model = Model::read_json(row.model_json.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
        let percentiles: Vec<i32> = serde_json::from_str(&row.percentiles_json).map_err(|e| corrupt(e.to_string()))?;
        Ok(ScoreModel { version: row.version, model, percentiles })
    }

    /// Scores a report's file; a file with too little in it gets no score, and why.
    pub fn score(&self, report: &Report) -> Result<ScoreSection> {
        if let Some(why) = insufficient(report) {
            let section = ScoreSection {
                model_version: self.version,
                score: None,
                percentile: None,
                score_min: self.model.score_range().0,
                score_max: self.model.score_range().1,
                reasons: vec![],
                not_scored: Some(why),
            };
            return Ok(section);
        }
        let row = features(report);
        let explained = self.model.explain(&table(&[row])?, 0)?;
        let percentile = self.percentiles.iter().filter(|p| **p <= explained.score).count().min(PERCENTILES) as u8;
        // Each reason true of the file, picked among the true ones (not the four costliest, cut after).
        let holds = |code: &str| {
            let i = FEATURES.iter().position(|f| f.name == code);
            i.is_some_and(|i| row[i].is_some_and(|v| (FEATURES[i].holds)(v)))
        };
        let reasons = self.model.reasons_where(&explained, holds).iter().map(|code| reason(code)).collect();
        Ok(ScoreSection {
            model_version: self.version,
            score: Some(explained.score),
            percentile: Some(percentile),
            score_min: self.model.score_range().0,
            score_max: self.model.score_range().1,
            reasons,
            not_scored: None,
        })
    }
}

/// Why a file cannot be scored, when it cannot: no account on file as of the report's day, or
/// none reported in the [`SCORE_RECENT_MONTHS`] before it. A score would then rest on nothing, or
/// on a past the lender cannot see is past.
fn insufficient(report: &Report) -> Option<ScoreReason> {
    let now = YearMonth::of(report.header.as_of);
    let accounts: Vec<_> = report.own_accounts().collect();
    let reported = |a: &&crate::report::AccountDetail| {
        a.history.iter().any(|h| h.status != ob_model::RepaymentStatus::NotOpen && h.month <= now)
    };
    let recent = |a: &&crate::report::AccountDetail| {
        a.history.iter().any(|h| {
            h.status != ob_model::RepaymentStatus::NotOpen
                && h.month <= now
                && now.months_since(h.month) < SCORE_RECENT_MONTHS
        })
    };
    let (code, zh, en) = if !accounts.iter().any(reported) {
        (
            "insufficient_file_no_accounts",
            "信息不足：截至报告日无信贷账户记录",
            "insufficient file: no credit account on file as of the report's day",
        )
    } else if !accounts.iter().any(recent) {
        (
            "insufficient_file_not_recent",
            "信息不足：近6个月无账户报送记录",
            "insufficient file: no account reported in the 6 months before the report's day",
        )
    } else {
        return None;
    };
    Some(ScoreReason { code: code.into(), zh: zh.into(), en: en.into() })
}

fn reason(code: &str) -> ScoreReason {
    let f = FEATURES.iter().find(|f| f.name == code);
    ScoreReason {
        code: code.to_owned(),
        zh: f.map_or(code, |f| f.reason_zh).to_owned(),
        en: f.map_or(code, |f| f.reason_en).to_owned(),
    }
}

/// A one-column-per-feature table of rows (missing values as NaN).
pub fn table(rows: &[FeatureRow]) -> Result<Table> {
    let columns = FEATURES
        .iter()
        .enumerate()
        .map(|(i, f)| Column::numeric(f.name, rows.iter().map(|r| r[i].unwrap_or(f64::NAN)).collect()))
        .collect();
    Ok(Table::new(columns)?)
}

/// The features of the file a report shows, as of the report's day.
pub fn features(report: &Report) -> FeatureRow {
    let now = YearMonth::of(report.header.as_of);
    let accounts: Vec<_> = report.own_accounts().collect();
    let within = |n: i32| {
        accounts
            .iter()
            .flat_map(|a| &a.history)
            .filter(|h| h.month <= now && now.months_since(h.month) < n)
            .filter_map(|h| h.status.overdue_periods())
            .max()
            .unwrap_or(0)
    };
    let last_late = accounts
        .iter()
        .flat_map(|a| &a.history)
        .filter(|h| h.month <= now && h.status.overdue_periods().is_some())
        .map(|h| h.month)
        .max();
    let revolving: Vec<_> = accounts.iter().filter(|a| !a.closed && a.account_type.is_revolving()).collect();
    let limit: i64 = revolving.iter().map(|a| a.credit_limit).sum();
    let used: i64 = revolving.iter().map(|a| a.latest.as_ref().map_or(0, |l| l.used_amount)).sum();
    let avg_used: i64 = revolving.iter().map(|a| a.used_6m_avg).sum();
    let year_ago = report.header.as_of.saturating_sub(time::Duration::days(365));
    let hard = report.queries.iter().filter(|q| q.hard && q.on > year_ago).count();
    let overdue: i64 =
        accounts.iter().filter(|a| !a.closed).map(|a| a.latest.as_ref().map_or(0, |l| l.overdue_amount)).sum();
    let oldest = accounts.iter().map(|a| a.opened_on).min();
    [
        (limit > 0).then(|| used as f64 * 100.0 / limit as f64),
        Some(f64::from(within(6))),
        Some(f64::from(within(12))),
        Some(f64::from(within(24))),
        last_late.map(|m| f64::from(now.months_since(m))),
        Some(accounts.iter().filter(|a| !a.closed).count() as f64),
        Some(accounts.len() as f64),
        oldest.map(|d| f64::from(now.months_since(YearMonth::of(d)))),
        Some(hard as f64),
        Some(overdue as f64 / 100.0),
        (avg_used > 0).then(|| used as f64 * 100.0 / avg_used as f64),
    ]
}

/// Whether the file shows 90+ days past due in the months after `from` up to the report's day.
pub fn went_bad(report: &Report, from: YearMonth) -> bool {
    report
        .own_accounts()
        .flat_map(|a| &a.history)
        .filter(|h| h.month > from && h.month <= from.plus(OUTCOME_MONTHS))
        .any(|h| h.status.overdue_periods().is_some_and(|p| p >= BAD_OVERDUE_PERIODS))
}

/// What a model build did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildSummary {
    /// The new model's version.
    pub version: u32,
    /// People in the training table.
    pub people: u64,
    /// Of whom went 90+ days past due within 12 months.
    pub bad: u64,
    /// Holdout AUC.
    pub holdout_auc: f64,
    /// Holdout KS.
    pub holdout_ks: f64,
    /// The scorecard, readable.
    pub card: String,
}

fn internal_context(as_of: Date, now: OffsetDateTime) -> ReportContext {
    ReportContext {
        report_id: "score-build".into(),
        produced_at: now,
        as_of,
        copy: Copy::Person,
        reason: QueryReason::SelfQuery,
        institution: None,
        querying_org: None,
    }
}

impl<S: Store> Bureau<S> {
    /// The features of every file as of `as_of` and whether each went bad in the 12 months after
    /// (judged on what is on file now). Internal processing: no report leaves the bureau, so no
    /// inquiry is logged; the build itself is an audit event.
    pub fn score_training_rows(&self, as_of: Date) -> Result<TrainingRows> {
        let now = self.clock.now();
        let later = YearMonth::of(as_of).plus(OUTCOME_MONTHS).last_day().min(now.date());
        let r = self.store.read()?;
        let mut t = TrainingRows::default();
        let mut after = SubjectId(0);
        loop {
            let page = r.subjects_after(after, SUBJECTS_PAGE)?;
            let Some(last) = page.last() else { break };
            after = *last;
            for subject in page {
                let then = assemble(r.as_ref(), &self.keys, &self.policy, subject, &internal_context(as_of, now))?;
                // The model learns from the files it will score.
                if insufficient(&then).is_some() {
                    continue;
                }
                let outcome = assemble(r.as_ref(), &self.keys, &self.policy, subject, &internal_context(later, now))?;
                t.subjects.push(subject);
                t.rows.push(features(&then));
                t.bad.push(went_bad(&outcome, YearMonth::of(as_of)));
            }
        }
        Ok(t)
    }

    /// Trains and stores a new bureau score model from the store's own history as of `as_of`.
    pub fn build_score(&mut self, as_of: Date) -> Result<BuildSummary> {
        if end_of_day(as_of) > self.clock.now().unix_timestamp() {
            return Err(BureauError::refused(Refusal::FutureDate, "build as of a past day"));
        }
        let TrainingRows { rows, bad, .. } = self.score_training_rows(as_of)?;
        let bads = bad.iter().filter(|b| **b).count() as u64;
        if bads < 10 || (rows.len() as u64) < bads + 10 {
            return Err(BureauError::refused(
                Refusal::TooFewOutcomes,
                format!("{} files, {bads} bad: too few to train a score (at least 10 of each)", rows.len()),
            ));
        }
        let table = table(&rows)?;
        let config = TrainConfig { inquiries: vec!["hard_inquiries_12m".into()], ..TrainConfig::default() };
        let trained = ob_score::train(&table, &bad, &config)?;
        let mut scores = trained.model.score_table(&table)?.score;
        scores.sort_unstable();
        let percentiles: Vec<i32> =
            (1..=PERCENTILES).map(|p| scores[(scores.len() * p / 100).min(scores.len() - 1)]).collect();
        let mut model_json = Vec::new();
        trained.model.write_json(&mut model_json)?;
        let model_json = String::from_utf8_lossy(&model_json).into_owned();
        let card = trained.model.card_text();
        let (auc, ks) = trained.report.holdout.as_ref().map_or((f64::NAN, f64::NAN), |h| (h.auc, h.ks));
        let people = rows.len() as u64;
        let version = self.audited("score.built", None, None, |w, _, _, now| {
            let row = ScoreModelRow {
                version: 0,
                built_at: now.unix_timestamp(),
                as_of,
                model_json,
                percentiles_json: json!(percentiles).to_string(),
            };
            let version = w.insert_score_model(&row)?;
            Ok((version, json!({"version": version, "as_of": as_of.to_string(), "people": people, "bad": bads})))
        })?;
        Ok(BuildSummary { version, people, bad: bads, holdout_auc: auc, holdout_ks: ks, card })
    }

    /// The newest score model, if one was built.
    pub fn score_model(&self) -> Result<Option<ScoreModel>> {
        self.store.read()?.latest_score_model()?.map(|row| ScoreModel::from_row(&row)).transpose()
    }
}
