//! The report as readable text for a terminal: Chinese section titles with English beside them.

use crate::report::{AccountDetail, Report};
use ob_model::{Currency, RepaymentStatus, Responsibility};
use std::fmt::Write;

/// Renders a report as text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

/// An amount as reports write it: the currency, then the amount in its major unit.
pub(crate) fn money(currency: Currency, minor: i64) -> String {
    format!("{} {}", currency, currency.format_minor(minor))
}

fn write_report(out: &mut String, r: &Report) -> std::fmt::Result {
    let h = &r.header;
    let (reason_zh, reason_en) = h.query_reason.title();
    writeln!(out, "══ 个人信用报告 Personal credit report (OpenBureau, PBOC-style) ══")?;
    writeln!(out, "报告编号 Report no.  {}", h.report_id)?;
    writeln!(out, "报告时间 Produced    {}", h.produced_at)?;
    writeln!(out, "数据截至 Data as of  {}", h.as_of)?;
    writeln!(out, "查询原因 Reason      {reason_zh} {reason_en}")?;
    match h.free_self_view {
        Some(true) => writeln!(out, "本人查询 Self-view    免费 free (of the year's allowance)")?,
        Some(false) => writeln!(out, "本人查询 Self-view    超出免费次数 beyond the free allowance")?,
        None => {}
    }
    if let Some(i) = &h.query_institution {
        writeln!(out, "查询机构 Inquirer    {i}")?;
    }
    let yes_no = |b: bool| if b { "有 yes" } else { "无 none" };
    writeln!(
        out,
        "防欺诈警示 Fraud alert {}    冻结 Freeze {}    异议标注 Disputed items {}",
        yes_no(h.fraud_alert),
        yes_no(h.freeze),
        h.dispute_marks
    )?;
    if h.freeze {
        writeln!(out, "  冻结中：新的贷款、信用卡审批查询不予提供 / frozen: no report is given for new credit")?;
    }
    writeln!(out)?;
    writeln!(out, "一、个人基本信息 Identity")?;
    let id = &r.identity;
    writeln!(out, "  姓名 Name          {}", id.name)?;
    writeln!(out, "  出生日期 Born      {}", id.birth_date)?;
    if let Some(g) = id.gender {
        writeln!(out, "  性别 Gender        {}", if g == "male" { "男 male" } else { "女 female" })?;
    }
    for d in &id.documents {
        let (zh, en) = d.document_type.title();
        writeln!(out, "  证件 Document      {zh} {en} {}", d.number_masked)?;
    }
    write_disputes(out, &id.disputes)?;
    writeln!(out)?;
    write_summary(out, r)?;
    writeln!(out, "三、信贷交易信息明细 Account details")?;
    if r.account_groups.is_empty() {
        writeln!(out, "  (无 none)")?;
    }
    for g in &r.account_groups {
        writeln!(out, "  ── {} {} ──", g.title_zh, g.title_en)?;
        for a in &g.accounts {
            write_account(out, a)?;
            if !a.sub_accounts.is_empty() {
                writeln!(out, "      ── 循环额度下分账户 Instalment plans under this line [{}] ──", a.number)?;
            }
            for plan in &a.sub_accounts {
                write_account(out, plan)?;
            }
        }
    }
    if !r.guarantees.is_empty() {
        writeln!(out, "  ── 相关还款责任信息 Accounts of others this person guarantees (not own debt) ──")?;
        for a in &r.guarantees {
            write_account(out, a)?;
        }
    }
    if !r.agreements.is_empty() {
        writeln!(out, "  ── 授信协议信息 Credit agreements ──")?;
        for a in &r.agreements {
            write_agreement(out, a)?;
        }
    }
    if !r.account_groups.is_empty() || !r.guarantees.is_empty() {
        write_legend(out)?;
    }
    writeln!(out)?;
    writeln!(out, "四、查询记录 Query records (2 years)")?;
    if r.queries.is_empty() {
        writeln!(out, "  (无 none)")?;
    }
    for q in &r.queries {
        let (zh, en) = q.reason.title();
        let disputed = if q.disputed { "  [异议 disputed]" } else { "" };
        writeln!(out, "  {}  {:<28} {zh} {en}  ({}){disputed}", q.on, q.institution, q.inquiry_ref)?;
    }
    Ok(())
}

fn write_summary(out: &mut String, r: &Report) -> std::fmt::Result {
    let s = &r.summary;
    writeln!(out, "二、信息概要 Summary")?;
    if let Some(sc) = &r.score {
        match (sc.score, sc.percentile, &sc.not_scored) {
            (Some(score), Some(percentile), _) => {
                writeln!(
                    out,
                    "  数字解读 Score {score}  范围 range {}–{}, higher is better (model v{})",
                    sc.score_min, sc.score_max, sc.model_version
                )?;
                writeln!(
                    out,
                    "    相对位置 {percentile}%：建模时 {percentile}% 的人得分不高于此 / {percentile}% of people scored at or below this when the model was built"
                )?;
            }
            (_, _, why) => {
                let (zh, en) = why.as_ref().map_or(("", ""), |w| (w.zh.as_str(), w.en.as_str()));
                writeln!(out, "  数字解读 Score: 无 none — {zh} / {en}")?;
            }
        }
        for reason in &sc.reasons {
            writeln!(out, "    · {} — {}", reason.zh, reason.en)?;
        }
    }
    writeln!(out, "  信贷交易信息提示 Accounts by type, and since when")?;
    for h in &s.hints {
        let (zh, en) = (h.account_type.title_zh(), h.account_type.title_en());
        writeln!(out, "    {zh} {en}: {} 账户 accounts, 首笔 first in {}", h.accounts, h.first_month)?;
    }
    writeln!(
        out,
        "  类型 Type  账户 Accts  未结清 Open  机构 Inst  授信总额 Limit        余额 Balance        已用 Used           6月平均已用 Avg used 6m  6月平均应还 Avg due 6m"
    )?;
    for t in &s.by_type {
        writeln!(
            out,
            "  {:<9}  {:>10}  {:>11}  {:>9}  {:<20} {:<18} {:<19} {:<24} {}",
            t.account_type.as_str(),
            t.accounts,
            t.open_accounts,
            t.institutions,
            money(t.currency, t.total_credit_limit),
            money(t.currency, t.balance),
            money(t.currency, t.used_amount),
            money(t.currency, t.used_6m_avg),
            money(t.currency, t.due_6m_avg)
        )?;
    }
    for t in
        s.by_type.iter().filter(|t| matches!(t.account_type, ob_model::AccountType::R2 | ob_model::AccountType::R3))
    {
        if let (Some(high), Some(low)) = (t.highest_single_limit, t.lowest_single_limit) {
            writeln!(
                out,
                "    {} 单家最高授信额 highest single limit {}, 最低 lowest {}",
                t.account_type.as_str(),
                money(t.currency, high),
                money(t.currency, low)
            )?;
        }
    }
    writeln!(out, "  逾期汇总 Overdue summary")?;
    if s.overdue.is_empty() {
        writeln!(out, "    (无逾期 no overdue)")?;
    }
    for o in &s.overdue {
        writeln!(
            out,
            "    {}: {} 账户 accounts, {} 月 months, 单月最高逾期 highest monthly {}, 最长逾期月数 longest {} months",
            o.account_type,
            o.accounts,
            o.months,
            money(o.currency, o.highest_monthly_overdue),
            o.longest_overdue_months
        )?;
    }
    for g in &s.guarantees {
        writeln!(out, "  相关还款责任概要 Guarantees: {}", g.line())?;
    }
    for c in &s.collections {
        writeln!(out, "  被追偿信息汇总 In collection: {}", c.line())?;
    }
    for b in &s.bad_debts {
        writeln!(out, "  呆账信息汇总 Bad debts: {}", b.line())?;
    }
    let q = &s.queries;
    writeln!(out, "  查询记录概要 Query summary")?;
    writeln!(
        out,
        "    最近1个月 last month: 贷款审批 loan approval {} ({} 机构 inst.), 信用卡审批 card approval {} ({} 机构 inst.), 本人查询 self {}",
        q.loan_approval_queries_1m,
        q.loan_approval_institutions_1m,
        q.card_approval_queries_1m,
        q.card_approval_institutions_1m,
        q.self_queries_1m
    )?;
    writeln!(
        out,
        "    最近2年 last 2 years: 贷后管理 post-loan {}, 担保资格审查 guarantor {}, 特约商户实名审查 merchant {}",
        q.post_loan_queries_2y, q.guarantor_queries_2y, q.merchant_queries_2y
    )?;
    writeln!(out)
}

fn write_account(out: &mut String, a: &AccountDetail) -> std::fmt::Result {
    let (zh, en) = a.state.title();
    let state = format!("{zh} {en}");
    let mut line = a.credit_line_number.map(|n| format!("  所属额度 under line [{n}]")).unwrap_or_default();
    match a.responsibility {
        Responsibility::Joint => line.push_str("  共同借款 joint loan"),
        Responsibility::Guarantor => line.push_str("  担保责任 as guarantor"),
        Responsibility::Individual => {}
    }
    if a.stale {
        let since = a.latest.as_ref().map_or_else(|| "—".to_owned(), |l| l.month.to_string());
        line.push_str(&format!("  未更新 not reported since {since}: its state is as of then"));
    }
    writeln!(
        out,
        "  [{}] {}  开立 opened {}  额度 limit {}  {}{line}",
        a.number,
        a.institution,
        a.opened_on,
        money(a.currency, a.credit_limit),
        state
    )?;
    if let Some(c) = &a.collection {
        return write_collection(out, a, c);
    }
    write_terms(out, a)?;
    if let Some(l) = &a.latest {
        writeln!(
            out,
            "      最近表现 Latest {}: 状态 status {}  余额 balance {}  已用 used {}  本月应还 due {}  实还 paid {}  逾期 overdue {}",
            l.month,
            l.status,
            money(a.currency, l.balance),
            money(a.currency, l.used_amount),
            money(a.currency, l.amount_due),
            money(a.currency, l.amount_paid),
            money(a.currency, l.overdue_amount)
        )?;
        write_overdue_detail(out, a, l)?;
        if let Some(c) = l.classification {
            let (zh, en) = c.title();
            writeln!(out, "      五级分类 Classification {} {zh} {en}", c.as_str())?;
        }
    }
    for x in &a.specials {
        let (zh, en) = x.kind.title();
        let amount = x.amount.map(|v| format!("  金额 amount {}", money(a.currency, v))).unwrap_or_default();
        let moved = x.months_changed.map(|m| format!("  变更月数 months moved {m}")).unwrap_or_default();
        writeln!(out, "      特殊交易/事件 Special {}: {zh} {en}{amount}{moved}  ref {}", x.on, x.special_ref)?;
        write_disputes(out, &x.disputes)?;
    }
    writeln!(out, "      账户参考 ref {}", a.account_ref)?;
    writeln!(
        out,
        "      6月平均已用 avg used 6m {}  最大 max {}",
        money(a.currency, a.used_6m_avg),
        money(a.currency, a.used_6m_max)
    )?;
    if let Some(from) = a.status_line_from {
        writeln!(out, "      近24个月还款状态 24-month status from {from}:  {}", a.status_line)?;
    }
    write_history(out, a)?;
    write_disputes(out, &a.disputes)?;
    write_statements(out, a)
}

/// One credit agreement: its lender, kind, limit and term, and the accounts drawn under it.
fn write_agreement(out: &mut String, a: &crate::report::AgreementEntry) -> std::fmt::Result {
    let (zh, en) = a.kind.title();
    let until = a.expires_on.map_or_else(|| "—".to_owned(), |d| d.to_string());
    let state = if a.ended { "已结束 ended" } else { "有效 in force" };
    let drawn: Vec<String> = a.accounts.iter().map(|n| format!("[{n}]")).collect();
    let drawn = if drawn.is_empty() { "—".to_owned() } else { drawn.join(" ") };
    writeln!(
        out,
        "  {}  {zh} {en}  额度 limit {}  已用 used {}  {} – {until}  {state}  账户 accounts {drawn}  ref {}",
        a.institution,
        money(a.currency, a.credit_limit),
        money(a.currency, a.used_amount),
        a.effective_on,
        a.agreement_ref
    )?;
    write_disputes(out, &a.disputes)
}

/// The contract's terms: kind, guarantee, maturity, instalments, frequency, method, due day.
fn write_terms(out: &mut String, a: &AccountDetail) -> std::fmt::Result {
    let mut parts = Vec::new();
    if let Some(k) = a.loan_kind {
        let (zh, en) = k.title();
        parts.push(format!("业务种类 kind {zh} {en}"));
    }
    if let Some(g) = a.guarantee {
        let (zh, en) = g.title();
        parts.push(format!("担保方式 guarantee {zh} {en}"));
    }
    if let Some(d) = a.maturity_on {
        parts.push(format!("到期 matures {d}"));
    }
    if let Some(p) = a.periods {
        parts.push(format!("还款期数 instalments {p}"));
    }
    if let Some(f) = a.frequency {
        let (zh, en) = f.title();
        parts.push(format!("还款频率 frequency {zh} {en}"));
    }
    if let Some(m) = a.repayment_method {
        let (zh, en) = m.title();
        parts.push(format!("还款方式 method {zh} {en}"));
    }
    if let Some(d) = a.due_day {
        parts.push(format!("应还款日 due day {d}"));
    }
    if parts.is_empty() {
        return Ok(());
    }
    writeln!(out, "      {}", parts.join("  "))
}

/// The latest month's overdue detail: periods, principal and its ages, instalments left.
fn write_overdue_detail(out: &mut String, a: &AccountDetail, l: &crate::report::LatestMonth) -> std::fmt::Result {
    let mut parts = Vec::new();
    if l.overdue_periods > 0 {
        parts.push(format!("当前逾期期数 periods overdue {}", l.overdue_periods));
    }
    if let Some(p) = l.overdue_principal {
        parts.push(format!("逾期本金 overdue principal {}", money(a.currency, p)));
    }
    if let Some(b) = &l.overdue_by_age {
        let ages = [("31–60", b.days_31_60), ("61–90", b.days_61_90), ("91–180", b.days_91_180), ("180+", b.over_180)];
        for (days, v) in ages {
            parts.push(format!("{days}天 days {}", money(a.currency, v)));
        }
    }
    if let Some(n) = l.remaining_periods {
        parts.push(format!("剩余还款期数 instalments left {n}"));
    }
    if parts.is_empty() {
        return Ok(());
    }
    writeln!(out, "      {}", parts.join("  "))
}

/// A debt in collection: what was received and what is left, no repayment grid.
fn write_collection(out: &mut String, a: &AccountDetail, c: &crate::report::CollectionDetail) -> std::fmt::Result {
    let status = c.status_at_transfer.map_or_else(|| "—".to_owned(), |s| s.to_string());
    let paid = c.last_payment_on.map_or_else(|| "—".to_owned(), |d| d.to_string());
    writeln!(
        out,
        "      债权接收日期 received {}  债权金额 amount {}  转移时状态 status at transfer {status}  余额 balance {}  最近还款 last repayment {paid}",
        c.received_on,
        money(a.currency, c.amount),
        money(a.currency, c.balance)
    )?;
    writeln!(out, "      账户参考 ref {}", a.account_ref)?;
    write_disputes(out, &a.disputes)?;
    write_statements(out, a)
}

fn write_statements(out: &mut String, a: &AccountDetail) -> std::fmt::Result {
    for st in &a.statements {
        let about = st.month.map(|m| format!(" {m}")).unwrap_or_default();
        writeln!(out, "      本人声明 Statement{about} ({}, {}): {}", st.statement_type, st.added_on, st.text)?;
    }
    Ok(())
}

fn write_disputes(out: &mut String, marks: &[crate::report::DisputeMark]) -> std::fmt::Result {
    for d in marks {
        let about = d.month.map(|m| format!(" {m}")).unwrap_or_default();
        writeln!(
            out,
            "      异议标注 Dispute #{}{about}: {} — {} (filed {}, answer due {})",
            d.dispute_id, d.dispute_type, d.state, d.filed_on, d.due_on
        )?;
    }
    Ok(())
}

/// What every status symbol of the grids means, from the model's one table.
fn write_legend(out: &mut String) -> std::fmt::Result {
    writeln!(out, "  还款状态图例 Status symbols in the grids:")?;
    for chunk in RepaymentStatus::ALL.chunks(4) {
        let cells: Vec<String> = chunk
            .iter()
            .map(|s| {
                let (zh, en) = s.title();
                format!("{} {zh} {en}", s.as_str())
            })
            .collect();
        writeln!(out, "    {}", cells.join("; "))?;
    }
    Ok(())
}

/// Where the 5-year grid's rows and labels start: ASCII only before and between the cells, so
/// the columns line up whatever width a terminal gives Chinese characters.
const GRID_INDENT: &str = "      ";

/// The 60-month history as a year × month grid.
fn write_history(out: &mut String, a: &AccountDetail) -> std::fmt::Result {
    if a.history.is_empty() {
        return Ok(());
    }
    writeln!(out, "{GRID_INDENT}近5年历史 5-year history:")?;
    writeln!(out, "{GRID_INDENT}year  01 02 03 04 05 06 07 08 09 10 11 12")?;
    let mut year = None;
    for h in &a.history {
        if year != Some(h.month.year()) {
            if year.is_some() {
                writeln!(out)?;
            }
            year = Some(h.month.year());
            write!(out, "{GRID_INDENT}{:04} ", h.month.year())?;
            for _ in 1..h.month.month() {
                write!(out, "   ")?;
            }
        }
        write!(out, " {:>2}", h.status.as_str())?;
    }
    writeln!(out)?;
    let overdue: Vec<String> = a
        .history
        .iter()
        .filter(|h| h.overdue_amount > 0)
        .map(|h| format!("{} {}", h.month, a.currency.format_minor(h.overdue_amount)))
        .collect();
    if !overdue.is_empty() {
        writeln!(out, "      逾期金额 overdue amounts: {}", overdue.join(", "))?;
    }
    Ok(())
}
