//! "Is my Huabei spending recorded?" — what the file holds about a person, in plain words.
//!
//! For each lender that reports on the person: since when (the authorization's date), what it
//! sends every month with the person's own latest values; what no lender can ever send (the
//! validator's own tables of banned fields, so the page cannot drift from the code); who looked
//! at the file in the last 2 years and why; what each status symbol means; how long each late
//! month stays and the day it leaves; what the person can do, and what revoking does and does
//! not stop.
//!
//! Reading it is the person reading their own file, like their query log: no inquiry is logged
//! and no free self-view is spent.

use crate::report::{AccountDetail, Copy, ReportContext, assemble};
use crate::retention::leaving_dates;
use crate::{Bureau, Result};
use ob_model::policy::Retention;
use ob_model::{ConsentScope, DocumentNumber, QueryReason, RepaymentStatus, YearMonth, minimization};
use ob_store::*;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// Words in Chinese and English.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Words {
    /// In Chinese.
    pub zh: &'static str,
    /// In English.
    pub en: &'static str,
}

impl From<(&'static str, &'static str)> for Words {
    fn from((zh, en): (&'static str, &'static str)) -> Words {
        Words { zh, en }
    }
}

/// Months of query records the explanation lists (the report's 2 years).
pub const LOOKS_MONTHS: i32 = 24;

/// Everything the explanation says, as data; [`Explanation::sentences`] words it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// The day it is as of.
    pub as_of: Date,
    /// Each lender that reports on the person, in the order its first account opened.
    pub reporters: Vec<Reporter>,
    /// Field names no record may carry, as the validator refuses them: purchases and places.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub never_sent_purchase: &'static [&'static str],
    /// Field names no record may carry, as the validator refuses them: categories the law bans.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub never_sent_banned: &'static [&'static str],
    /// Who looked at the file in the last 2 years and why, newest first.
    pub looks: Vec<Look>,
    /// What each status symbol of the grids means.
    pub symbols: Vec<Symbol>,
    /// Each late (negative) month on file, and the last day it shows.
    pub late_months: Vec<LateMonth>,
    /// Years a late month stays after its delinquency ended (PRC) or began (US).
    pub retention_years: u8,
    /// Whether the clock starts when the delinquency ends (PRC) rather than 180 days after it
    /// began (US).
    pub retention_from_end: bool,
    /// Days a lender has to answer a dispute.
    pub dispute_answer_days: u16,
    /// Free self-views a year.
    pub free_self_views_per_year: u8,
    /// Whether the rules ask a lender for the person's authorization before it reports (PRC).
    pub report_consent_required: bool,
}

/// A lender that reports on the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reporter {
    /// Its name.
    pub institution: String,
    /// The day the person authorized it to report (its earliest reporting authorization);
    /// `None` when none is on file (the US rules ask for none).
    pub authorized_on: Option<Date>,
    /// The day the last of its reporting authorizations was revoked, when none is in force any
    /// more.
    pub revoked_on: Option<Date>,
    /// Its accounts on the file.
    pub accounts: Vec<Sent>,
}

/// One account and what its lender sends about it every month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sent {
    /// The account's reference in reports.
    pub account_ref: String,
    /// Its type, in words: (zh, en).
    pub account_type: Words,
    /// Opened on.
    pub opened_on: Date,
    /// The month of the latest values; `None` when no month is on file yet.
    pub month: Option<YearMonth>,
    /// Each field it sends, with the person's latest value.
    pub values: Vec<SentValue>,
}

/// One field a lender sends, and the latest value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentValue {
    /// The field, in words: (zh, en).
    pub field: Words,
    /// The latest value, as reports write it.
    pub value: String,
}

/// One look at the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Look {
    /// When.
    pub on: Date,
    /// Who: an institution's name, or `None` for the person.
    pub institution: Option<String>,
    /// Why, in words: (zh, en).
    pub reason: Words,
}

/// A status symbol and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Symbol {
    /// The symbol.
    pub symbol: &'static str,
    /// Its meaning: (zh, en).
    pub meaning: Words,
}

/// A late month on file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LateMonth {
    /// The account's reference.
    pub account_ref: String,
    /// The lender.
    pub institution: String,
    /// The month.
    pub month: YearMonth,
    /// Its status symbol.
    pub status: RepaymentStatus,
    /// The last day it shows (gone the day after); `None` while the delinquency lasts.
    pub shows_until: Option<Date>,
}

impl<S: Store> Bureau<S> {
    /// What the file holds about the person and what it never holds, as of today.
    pub fn explain(&self, document: &DocumentNumber) -> Result<Explanation> {
        let r = self.store.read()?;
        let subject = crate::rights::subject_of(r.as_ref(), &self.keys, document)?;
        let now = self.clock.now();
        let context = ReportContext {
            report_id: String::new(),
            produced_at: now,
            as_of: now.date(),
            copy: Copy::Person,
            reason: QueryReason::SelfQuery,
            institution: None,
            querying_org: None,
        };
        let report = assemble(r.as_ref(), &self.keys, &self.policy, subject, &context)?;
        let accounts: Vec<&AccountDetail> = report.own_accounts().chain(&report.guarantees).collect();
        let (reporters, late_months) = self.reporters(r.as_ref(), subject, &accounts)?;
        let since = YearMonth::of(now.date()).plus(-LOOKS_MONTHS);
        let looks = report
            .queries
            .iter()
            .filter(|q| YearMonth::of(q.on) >= since)
            .map(|q| Look {
                on: q.on,
                institution: (q.reason != QueryReason::SelfQuery).then(|| q.institution.clone()),
                reason: q.reason.title().into(),
            })
            .collect();
        let (retention_years, retention_from_end) = match self.policy.retention {
            Retention::AfterDelinquencyEnded { years } => (years, true),
            Retention::FromFirstDelinquency { years, .. } => (years, false),
        };
        Ok(Explanation {
            as_of: now.date(),
            reporters,
            never_sent_purchase: minimization::PURCHASE_FIELDS,
            never_sent_banned: minimization::BANNED_CATEGORY_FIELDS,
            looks,
            symbols: RepaymentStatus::ALL
                .iter()
                .map(|s| Symbol { symbol: s.as_str(), meaning: s.title().into() })
                .collect(),
            late_months,
            retention_years,
            retention_from_end,
            dispute_answer_days: self.policy.dispute_answer_days,
            free_self_views_per_year: self.policy.free_self_views_per_year,
            report_consent_required: self.policy.report_consent_required,
        })
    }

    /// The lenders reporting on the person, with their authorizations and accounts, and every
    /// late month with the day it leaves.
    fn reporters(
        &self,
        r: &dyn Reader,
        subject: SubjectId,
        shown: &[&AccountDetail],
    ) -> Result<(Vec<Reporter>, Vec<LateMonth>)> {
        let consents = r.consents_of(subject)?;
        let today = self.clock.today();
        let mut by_org: BTreeMap<OrgId, Reporter> = BTreeMap::new();
        let mut order: Vec<(Date, OrgId)> = Vec::new();
        let mut late = Vec::new();
        for account in r.accounts_of(subject)? {
            let account_ref = crate::rights::account_ref(account.id);
            let Some(detail) = shown.iter().find(|d| d.account_ref == account_ref) else { continue };
            let reporter = match by_org.entry(account.org_id) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    order.push((detail.opened_on, account.org_id));
                    let reporting: Vec<_> = consents
                        .iter()
                        .filter(|c| c.consent.org_id == account.org_id && c.consent.scope == ConsentScope::Report)
                        .collect();
                    let in_force = reporting.iter().any(|c| c.consent.revoked_on.is_none());
                    e.insert(Reporter {
                        institution: detail.institution.clone(),
                        authorized_on: reporting.iter().map(|c| c.consent.granted_on).min(),
                        revoked_on: if in_force {
                            None
                        } else {
                            reporting.iter().filter_map(|c| c.consent.revoked_on).max()
                        },
                        accounts: Vec::new(),
                    })
                }
            };
            reporter.accounts.push(sent(detail));
            // The latest version of each month.
            let latest = r.months(account.id, YearMonth::MIN, YearMonth::MAX, i64::MAX)?;
            for (month, shows_until) in leaving_dates(&latest, &self.policy) {
                // Expired and awaiting the next purge: reports already leave it out.
                if shows_until.is_some_and(|last| last < today) {
                    continue;
                }
                let Some(row) = latest.iter().find(|m| m.month == month) else { continue };
                late.push(LateMonth {
                    account_ref: account_ref.clone(),
                    institution: detail.institution.clone(),
                    month,
                    status: row.status,
                    shows_until,
                });
            }
        }
        order.sort();
        let reporters = order.into_iter().filter_map(|(_, org)| by_org.remove(&org)).collect();
        Ok((reporters, late))
    }
}

/// What an account's lender sends every month, with the latest values the report shows.
fn sent(a: &AccountDetail) -> Sent {
    let money = |minor: i64| crate::render::money(a.currency, minor);
    let mut values =
        vec![SentValue { field: Words { zh: "授信额度", en: "credit limit" }, value: money(a.credit_limit) }];
    if let Some(l) = &a.latest {
        let (zh, en) = l.status.title();
        values.extend([
            SentValue { field: Words { zh: "余额", en: "balance" }, value: money(l.balance) },
            SentValue {
                field: Words { zh: "已用额度", en: "amount of the limit used" }, value: money(l.used_amount)
            },
            SentValue { field: Words { zh: "本月应还", en: "amount due this month" }, value: money(l.amount_due) },
            SentValue {
                field: Words { zh: "本月实还", en: "amount paid this month" }, value: money(l.amount_paid)
            },
            SentValue { field: Words { zh: "逾期金额", en: "amount past due" }, value: money(l.overdue_amount) },
            SentValue { field: Words { zh: "逾期天数", en: "days past due" }, value: l.days_past_due.to_string() },
            SentValue {
                field: Words { zh: "还款状态", en: "repayment status" },
                value: format!("{} ({zh} / {en})", l.status),
            },
        ]);
    }
    Sent {
        account_ref: a.account_ref.clone(),
        account_type: Words { zh: a.account_type.title_zh(), en: a.account_type.title_en() },
        opened_on: a.opened_on,
        month: a.latest.as_ref().map(|l| l.month),
        values,
    }
}

/// A section of the explanation in words: its title (zh, en) and its sentences, each (zh, en).
pub type Section = ((&'static str, &'static str), Vec<(String, String)>);

impl Explanation {
    /// The explanation as sentences, each in Chinese then English, in sections: (title, lines).
    pub fn sentences(&self) -> Vec<Section> {
        vec![
            (("哪些机构报送了我的信息", "Who reports on me"), self.reporter_lines()),
            (("永远不会记录的内容", "What is never recorded"), self.never_lines()),
            (("近2年谁查看了我的档案", "Who looked at my file in the last 2 years"), self.look_lines()),
            (("还款状态符号的含义", "What the status symbols mean"), self.symbol_lines()),
            (("逾期记录保留多久", "How long late months stay"), self.late_lines()),
            (("我可以做什么", "What I can do"), self.right_lines()),
        ]
    }

    fn reporter_lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.reporters.is_empty() {
            out.push(("没有机构报送您的信息。".to_owned(), "No lender reports on you.".to_owned()));
        }
        for r in &self.reporters {
            let (zh, en) = match (r.authorized_on, r.revoked_on) {
                (Some(on), None) => (format!("您于 {on} 授权"), format!("you authorized it on {on}")),
                (Some(on), Some(off)) => (
                    format!("您于 {on} 授权，{off} 撤销（已开立的账户仍报送至结束）"),
                    format!(
                        "you authorized it on {on} and revoked that on {off} (accounts already open are reported until they end)"
                    ),
                ),
                (None, _) if self.report_consent_required => (
                    "档案中没有您对它的报送授权".to_owned(),
                    "no authorization of yours to report is on file".to_owned(),
                ),
                (None, _) => (
                    "档案中没有您的报送授权（当前规则不要求）".to_owned(),
                    "no authorization of yours is on file (these rules ask for none)".to_owned(),
                ),
            };
            out.push((format!("{}：{zh}。", r.institution), format!("{}: {en}.", r.institution)));
            for a in &r.accounts {
                let month = a.month.map_or_else(|| "尚无月度数据".to_owned(), |m| format!("{m} 的数据"));
                let month_en = a.month.map_or_else(|| "no month yet".to_owned(), |m| format!("as of {m}"));
                let zh_values: Vec<String> = a.values.iter().map(|v| format!("{} {}", v.field.zh, v.value)).collect();
                let en_values: Vec<String> = a.values.iter().map(|v| format!("{} {}", v.field.en, v.value)).collect();
                out.push((
                    format!(
                        "  {} {}（{} 开立），每月报送（{month}）：{}。",
                        a.account_ref,
                        a.account_type.zh,
                        a.opened_on,
                        zh_values.join("，")
                    ),
                    format!(
                        "  {} {} (opened {}) sends every month ({month_en}): {}.",
                        a.account_ref,
                        a.account_type.en,
                        a.opened_on,
                        en_values.join(", ")
                    ),
                ));
            }
        }
        out
    }

    fn never_lines(&self) -> Vec<(String, String)> {
        vec![
            (
                format!(
                    "任何机构都不能报送您买了什么、在哪里买、向谁买。带有这些字段的记录会被整条拒收：{}。",
                    self.never_sent_purchase.join("、")
                ),
                format!(
                    "No lender can send what you bought, where, or from whom. A record carrying any of these fields is refused whole: {}.",
                    self.never_sent_purchase.join(", ")
                ),
            ),
            (
                format!("法律禁止采集的信息同样拒收：{}。", self.never_sent_banned.join("、")),
                format!("Nor what the law forbids collecting: {}.", self.never_sent_banned.join(", ")),
            ),
        ]
    }

    fn look_lines(&self) -> Vec<(String, String)> {
        if self.looks.is_empty() {
            return vec![(
                "近2年没有人查看过您的档案。".to_owned(),
                "No one looked at your file in the last 2 years.".to_owned(),
            )];
        }
        self.looks
            .iter()
            .map(|l| match &l.institution {
                Some(i) => (
                    format!("{}：{} 查看，原因：{}。", l.on, i, l.reason.zh),
                    format!("{}: {} looked, for {}.", l.on, i, l.reason.en),
                ),
                None => (format!("{}：您本人查看。", l.on), format!("{}: you looked at your own file.", l.on)),
            })
            .collect()
    }

    fn symbol_lines(&self) -> Vec<(String, String)> {
        self.symbols
            .iter()
            .map(|s| (format!("{}：{}", s.symbol, s.meaning.zh), format!("{}: {}", s.symbol, s.meaning.en)))
            .collect()
    }

    fn late_lines(&self) -> Vec<(String, String)> {
        let years = self.retention_years;
        let mut out = vec![if self.retention_from_end {
            (
                format!("逾期记录自该次逾期结束（还清或账户结清）起保留 {years} 年，到期后自动删除。"),
                format!(
                    "A late month stays {years} years after that delinquency ended (paid up, or the account settled), then it is deleted."
                ),
            )
        } else {
            (
                format!("逾期记录自首次逾期后 180 天起保留 {years} 年，到期后自动删除。"),
                format!(
                    "A late month stays {years} years from 180 days after the delinquency began, then it is deleted."
                ),
            )
        }];
        if self.late_months.is_empty() {
            out.push(("您的档案中没有逾期记录。".to_owned(), "Your file holds no late month.".to_owned()));
        }
        for l in &self.late_months {
            out.push(match l.shows_until {
                Some(day) => (
                    format!(
                        "  {} {} 的 {} 月（状态 {}）显示到 {day}。",
                        l.institution, l.account_ref, l.month, l.status
                    ),
                    format!(
                        "  {} {}, {} (status {}): shows until {day}.",
                        l.institution, l.account_ref, l.month, l.status
                    ),
                ),
                None => (
                    format!(
                        "  {} {} 的 {} 月（状态 {}）：逾期仍在持续，结束后开始计算 {years} 年。",
                        l.institution, l.account_ref, l.month, l.status
                    ),
                    format!(
                        "  {} {}, {} (status {}): the delinquency goes on; the {years} years start when it ends.",
                        l.institution, l.account_ref, l.month, l.status
                    ),
                ),
            });
        }
        out
    }

    fn right_lines(&self) -> Vec<(String, String)> {
        let (days, free) = (self.dispute_answer_days, self.free_self_views_per_year);
        vec![
            (
                format!("发现错误可以提出异议：该项目立即标注，机构须在 {days} 天内答复。"),
                format!("If something is wrong, dispute it: the item is marked at once and the lender must answer within {days} days."),
            ),
            (
                "可以在逾期等负面信息旁添加本人声明，查询者都能看到。".to_owned(),
                "Beside late or other negative information you can add a statement of your own; whoever reads the report sees it.".to_owned(),
            ),
            (
                "可以撤销授权：撤销后该机构不能再查询您的报告，也不能报送新账户；但已开立的账户仍会报送到结束，以免债务记录被冻结在逾期状态。".to_owned(),
                "You can revoke an authorization: the lender can then no longer look at your report or report new accounts; accounts already open are still reported until they end, so a debt is never frozen as late.".to_owned(),
            ),
            (
                "可以设置防欺诈警示，或冻结档案：冻结期间不为新的贷款、信用卡审批提供报告。".to_owned(),
                "You can place a fraud alert, or freeze your file: while frozen, no report is given for new loans or cards.".to_owned(),
            ),
            (
                format!("每年可免费查看本人报告 {free} 次；之后仍可查看，并会标注。"),
                format!("You can see your own report free {free} times a year; more is allowed, and marked."),
            ),
        ]
    }

    /// The explanation as plain text, Chinese then English, section by section.
    pub fn text(&self) -> String {
        let mut out =
            format!("您的档案里记录了什么（截至 {}） / What your file holds (as of {})\n", self.as_of, self.as_of);
        for ((zh, en), lines) in self.sentences() {
            out.push_str(&format!("\n{zh} / {en}\n"));
            for (zh, en) in lines {
                out.push_str(&format!("{zh}\n{en}\n"));
            }
        }
        out
    }
}
