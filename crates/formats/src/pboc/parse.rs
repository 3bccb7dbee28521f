//! From an element tree to a typed record: every element known, every value of the right form
//! and on its code list. Each problem is a [`FieldError`] with a six-character code
//! (`Code::Format("ABE107")`) and the element's path (`AcctBsSgmt.RptDate`).

use super::codes::{
    AgreementStatus, BusinessLine, ErrorCode as E, EventType, GuaranteeMode, IdType, LimitType, LoanKind, PartyType,
    RecordType, RepayFrequency, RepaymentMethod, ReportReason, SegmentCode, SpecialTxType, account_states,
};
use super::record::{
    AccountDeletion, BaseSegment, CorrectedSegment, Correction, CreditAgreement, IdChange, InfoSegment, LoanAccount,
    MonthlySegment, NonMonthlySegment, PbocRecord, PersonInfo, RelatedParty, SegmentDeletion, SpecialEvent,
    SpecialTransaction, Subject,
};
use super::xml::{self, Tree};
use super::{AMOUNT_INTEGER_DIGITS_MAX, DETAIL_CHARS_MAX, ITEMS_PER_SEGMENT_MAX, ORG_CODE_CHARS, rules};
use crate::text;
use ob_model::{
    AccountType, Classification, Currency, DocumentNumber, FieldError, RepaymentStatus, Responsibility, YearMonth,
    limits, minimization,
};
use time::Date;

/// Fen in a yuan.
const FEN_PER_YUAN: i64 = 100;

/// Parses one record line of a file of type `expected` and applies the rules (rules.rs).
pub(crate) fn parse_record(line: &[u8], expected: RecordType) -> Result<PbocRecord, Vec<FieldError>> {
    let tree = xml::parse(line).map_err(|e| vec![e])?;
    let mut p = P { tree: &tree, errors: Vec::new() };
    p.record_type(expected).map_err(|e| vec![e])?;
    let record = match expected {
        RecordType::Person => p.person().map(PbocRecord::Person),
        RecordType::Account => p.account().map(|a| PbocRecord::Account(Box::new(a))),
        RecordType::IdChange => p.id_change().map(PbocRecord::IdChange),
        RecordType::Correction => p.correction().map(|c| PbocRecord::Correction(Box::new(c))),
        RecordType::SegmentDeletion => p.segment_deletion().map(PbocRecord::SegmentDeletion),
        RecordType::AccountDeletion => p.account_deletion().map(PbocRecord::AccountDeletion),
        RecordType::SpecialEvent => p.special_event().map(PbocRecord::SpecialEvent),
        RecordType::Agreement => p.agreement().map(|a| PbocRecord::Agreement(Box::new(a))),
    };
    let mut errors = p.errors;
    match record {
        Some(r) if errors.is_empty() => {
            rules::check(&r, &mut errors);
            if errors.is_empty() { Ok(r) } else { Err(errors) }
        }
        _ => Err(errors),
    }
}

/// A field's path: `Segment.Element`, or the element alone at the top level.
fn path(seg: &str, field: &str) -> String {
    if seg.is_empty() { field.to_owned() } else { format!("{seg}.{field}") }
}

/// The parsing context: the tree and the problems found so far.
struct P<'t, 'a> {
    tree: &'t Tree<'a>,
    errors: Vec<FieldError>,
}

impl<'t, 'a> P<'t, 'a> {
    fn err(&mut self, code: E, seg: &str, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(code.code(), path(seg, field), message));
    }

    /// `InfRecType` (at the top or in the first segment) must be the file's record type.
    fn record_type(&self, expected: RecordType) -> Result<(), FieldError> {
        let found = self
            .tree
            .elems
            .iter()
            .find(|e| e.name == "InfRecType" && (e.parent == 0 || self.tree.get(e.parent).parent == 0));
        let bad = |m: String| FieldError::new(E::RecordType.code(), "InfRecType", m);
        match found.map(|e| e.text.as_ref()) {
            None => Err(bad("InfRecType is missing".into())),
            Some(t) if t == expected.as_str() => Ok(()),
            Some(t) if RecordType::parse(t).is_some() => Err(bad(format!("record type {t} in a file of {expected}"))),
            Some(_) => Err(bad("not a record type".into())),
        }
    }

    /// The children of `parent` named in `names`, by index; reports unknown and repeated ones.
    fn slots<const N: usize>(&mut self, parent: usize, seg: &str, names: [&str; N]) -> [Option<usize>; N] {
        let mut out = [None; N];
        for i in self.tree.children(parent) {
            let name = self.tree.get(i).name;
            match names.iter().position(|n| *n == name) {
                Some(k) if out[k].is_none() => out[k] = Some(i),
                Some(_) => self.err(E::Element, seg, name, "element repeated"),
                None => self.unknown(seg, name),
            }
        }
        out
    }

    fn unknown(&mut self, seg: &str, name: &str) {
        match minimization::banned_field(name) {
            Some(why) => self.err(E::Banned, seg, name, why),
            None => self.err(E::Element, seg, name, "element not part of this segment"),
        }
    }

    /// Leaf elements' texts by name (empty text counts as absent).
    fn leaves<const N: usize>(&mut self, parent: usize, seg: &str, names: [&str; N]) -> [Option<&'t str>; N] {
        let slots = self.slots(parent, seg, names);
        let tree = self.tree;
        let mut out = [None; N];
        for (k, slot) in slots.iter().enumerate() {
            let Some(i) = *slot else { continue };
            let e = tree.get(i);
            if e.has_children {
                self.err(E::Element, seg, e.name, "a field holds a value, not elements");
            } else if !e.text.is_empty() {
                out[k] = Some(e.text.as_ref());
            }
        }
        out
    }

    fn req<'v>(&mut self, seg: &str, field: &str, v: Option<&'v str>) -> Option<&'v str> {
        if v.is_none() {
            self.err(E::Missing, seg, field, "required element missing or empty");
        }
        v
    }

    fn code<T>(&mut self, seg: &str, field: &str, v: Option<&str>, parse: fn(&str) -> Option<T>) -> Option<T> {
        let v = v?;
        let parsed = parse(v);
        if parsed.is_none() {
            self.err(E::NotListed, seg, field, "value not on the code list");
        }
        parsed
    }

    fn req_code<T>(&mut self, seg: &str, field: &str, v: Option<&str>, parse: fn(&str) -> Option<T>) -> Option<T> {
        let v = self.req(seg, field, v);
        self.code(seg, field, v, parse)
    }

    fn date(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<Date> {
        let parsed = text::date(field, v?);
        if parsed.is_err() {
            self.err(E::Date, seg, field, "a date is yyyy-MM-dd, a real day in 1901–2099");
        }
        parsed.ok()
    }

    fn req_date(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<Date> {
        let v = self.req(seg, field, v);
        self.date(seg, field, v)
    }

    fn month(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<YearMonth> {
        let v = self.req(seg, field, v)?;
        let parsed = YearMonth::parse(v);
        if parsed.is_none() {
            self.err(E::Date, seg, field, "a month is yyyy-MM, 1901–2099");
        }
        parsed
    }

    fn amount(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<i64> {
        let parsed = parse_amount(v?);
        if let Err(why) = parsed {
            self.err(E::Range, seg, field, why);
        }
        parsed.ok()
    }

    fn req_amount(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<i64> {
        let v = self.req(seg, field, v);
        self.amount(seg, field, v)
    }

    fn int<T: TryFrom<u64>>(&mut self, seg: &str, field: &str, v: Option<&str>, min: u64, max: u64) -> Option<T> {
        let v = v?;
        let n = (v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit())).then(|| v.parse::<u64>().ok()).flatten();
        match n.filter(|n| (min..=max).contains(n)).and_then(|n| T::try_from(n).ok()) {
            Some(t) => Some(t),
            None => {
                self.err(E::Range, seg, field, format!("a whole number from {min} to {max}"));
                None
            }
        }
    }

    /// Free text: no control characters, at most `max` characters.
    fn text(&mut self, seg: &str, field: &str, v: Option<&str>, max: usize) -> Option<String> {
        let v = v?;
        if v.chars().any(char::is_control) {
            self.err(E::Format, seg, field, "control characters are not allowed");
            None
        } else if v.chars().count() > max {
            self.err(E::TooLong, seg, field, format!("at most {max} characters"));
            None
        } else {
            Some(v.to_owned())
        }
    }

    /// An account or agreement code: 1–60 characters, no control characters.
    fn key(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<String> {
        let v = self.req(seg, field, v);
        self.text(seg, field, v, limits::ACCOUNT_KEY_CHARS_MAX)
    }

    /// An institution code: 14 upper-case letters and digits.
    fn org(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<String> {
        let v = self.req(seg, field, v)?;
        if is_org_code(v) {
            Some(v.to_owned())
        } else {
            self.err(E::Format, seg, field, "an institution code is 14 upper-case letters and digits");
            None
        }
    }

    fn currency(&mut self, seg: &str, field: &str, v: Option<&str>) -> Option<Currency> {
        let c = self.req_code(seg, field, v, Currency::parse)?;
        if c.minor_digits() == 2 {
            Some(c)
        } else {
            self.err(E::NotListed, seg, field, "amounts have two decimals: this currency has other minor units");
            None
        }
    }

    fn responsibility(&mut self, seg: &str, v: Option<&str>) -> Option<Responsibility> {
        match v {
            None => Some(Responsibility::Individual),
            v => self.code(seg, "ObResp", v, Responsibility::parse),
        }
    }

    /// Name, document type and number, and the optional birth date of a base segment.
    fn subject(&mut self, seg: &str, names: [&str; 3], v: [Option<&str>; 3], birth: Option<&str>) -> Option<Subject> {
        let name = self.req(seg, names[0], v[0]);
        let name = self.text(seg, names[0], name, limits::NAME_CHARS_MAX);
        let id_type = self.req_code(seg, names[1], v[1], IdType::parse);
        let number = self.req(seg, names[2], v[2]);
        let document = match (id_type, number) {
            (Some(t), Some(n)) => match DocumentNumber::parse(t.document_type(), n) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(E::Document, seg, names[2], e.to_string());
                    None
                }
            },
            _ => None,
        };
        let birth_date = match birth {
            Some(b) => Some(self.date(seg, "ObBirthDate", Some(b))?),
            None => None,
        };
        Some(Subject { name: name?, id_type: id_type?, document: document?, birth_date })
    }

    fn account(&mut self) -> Option<LoanAccount> {
        let s = self.slots(
            0,
            "",
            [
                "AcctBsSgmt",
                "AcctBsInfSgmt",
                "RltRepymtInfSgmt",
                "AcctCredSgmt",
                "AcctMthlyBlgInfSgmt",
                "AcctDbtInfSgmt",
                "AcctSpecTrstDspnSgmt",
            ],
        );
        let Some(b) = s[0] else {
            self.err(E::Missing, "", "AcctBsSgmt", "segment B is required");
            return None;
        };
        let base = self.base(b);
        let t = base.as_ref().map(|b| b.account_type);
        let info = s[1].map(|i| self.info(i, t));
        let parties = s[2].map(|i| self.parties(i));
        let agreement = s[3].map(|i| self.agreement_link(i));
        let monthly = s[4].map(|i| self.monthly(i, "AcctMthlyBlgInfSgmt", t));
        let non_monthly = s[5].map(|i| self.non_monthly(i, t));
        let special = s[6].map(|i| self.special(i));
        Some(LoanAccount {
            base: base?,
            info: info.map_or(Some(None), |i| i.map(Some))?,
            parties: parties.map_or(Some(Vec::new()), |p| p)?,
            agreement_code: agreement.map_or(Some(None), |a| a.map(Some))?,
            monthly: monthly.map_or(Some(None), |m| m.map(Some))?,
            non_monthly: non_monthly.map_or(Some(None), |m| m.map(Some))?,
            special: special.map_or(Some(Vec::new()), |k| k)?,
        })
    }

    fn base(&mut self, i: usize) -> Option<BaseSegment> {
        const S: &str = "AcctBsSgmt";
        let v = self.leaves(
            i,
            S,
            [
                "InfRecType",
                "AcctType",
                "AcctCode",
                "RptDate",
                "RptDateCode",
                "Name",
                "IDType",
                "IDNum",
                "MngmtOrgCode",
                "ObBirthDate",
            ],
        );
        let account_type = self.req_code(S, "AcctType", v[1], AccountType::parse);
        let account_code = self.key(S, "AcctCode", v[2]);
        let report_date = self.req_date(S, "RptDate", v[3]);
        let reason = self.req_code(S, "RptDateCode", v[4], ReportReason::parse);
        let subject = self.subject(S, ["Name", "IDType", "IDNum"], [v[5], v[6], v[7]], v[9]);
        let managing_org = self.org(S, "MngmtOrgCode", v[8]);
        Some(BaseSegment {
            account_type: account_type?,
            account_code: account_code?,
            report_date: report_date?,
            reason: reason?,
            subject: subject?,
            managing_org: managing_org?,
        })
    }

    fn info(&mut self, i: usize, t: Option<AccountType>) -> Option<InfoSegment> {
        const S: &str = "AcctBsInfSgmt";
        let v = self.leaves(
            i,
            S,
            [
                "BusiLines",
                "BusiDtlLines",
                "OpenDate",
                "Cy",
                "AcctCredLine",
                "LoanAmt",
                "DueDate",
                "RepayMode",
                "RepayFreqcy",
                "RepayPrd",
                "GuarMode",
                "ObRepayDay",
                "ObResp",
            ],
        );
        let business_line = self.req_code(S, "BusiLines", v[0], BusinessLine::parse);
        let loan_kind = self.code(S, "BusiDtlLines", v[1], LoanKind::parse);
        let open_date = self.req_date(S, "OpenDate", v[2]);
        let currency = self.currency(S, "Cy", v[3]);
        let amount_fen = self.info_amount(t, v[4], v[5]);
        let due_date = self.date(S, "DueDate", v[6]);
        let method = self.code(S, "RepayMode", v[7], RepaymentMethod::parse);
        let frequency = self.req_code(S, "RepayFreqcy", v[8], RepayFrequency::parse);
        let periods = self.int(S, "RepayPrd", v[9], 1, u64::from(u16::MAX));
        let guarantee = self.req_code(S, "GuarMode", v[10], GuaranteeMode::parse);
        let repay_day = self.int(S, "ObRepayDay", v[11], 1, 28);
        let responsibility = self.responsibility(S, v[12]);
        Some(InfoSegment {
            business_line: business_line?,
            loan_kind: opt(v[1], loan_kind)?,
            open_date: open_date?,
            currency: currency?,
            amount_fen: amount_fen?,
            due_date: opt(v[6], due_date)?,
            method: opt(v[7], method)?,
            frequency: frequency?,
            periods: opt(v[9], periods)?,
            guarantee: guarantee?,
            repay_day: opt(v[11], repay_day)?,
            responsibility: responsibility?,
        })
    }

    /// `AcctCredLine` for R1/R2/R3, `LoanAmt` for D1/R4/C1.
    fn info_amount(&mut self, t: Option<AccountType>, limit: Option<&str>, loan: Option<&str>) -> Option<i64> {
        const S: &str = "AcctBsInfSgmt";
        let revolving = t.map_or(limit.is_some() || loan.is_none(), AccountType::is_revolving);
        let (want, other, v, w) =
            if revolving { ("AcctCredLine", "LoanAmt", limit, loan) } else { ("LoanAmt", "AcctCredLine", loan, limit) };
        if w.is_some() {
            self.err(E::Element, S, other, format!("this account type reports {want}"));
        }
        self.req_amount(S, want, v)
    }

    fn parties(&mut self, i: usize) -> Option<Vec<RelatedParty>> {
        const S: &str = "RltRepymtInfSgmt";
        let items = self.items(i, S, "RltRepymtInf")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let v = self.leaves(item, S, ["ArlpName", "ArlpCertType", "ArlpCertNum", "ArlpType", "ArlpAmt"]);
            let subject = self.subject(S, ["ArlpName", "ArlpCertType", "ArlpCertNum"], [v[0], v[1], v[2]], None);
            let party_type = self.req_code(S, "ArlpType", v[3], PartyType::parse);
            let amount = self.amount(S, "ArlpAmt", v[4]);
            let party = (|| {
                let s = subject?;
                Some(RelatedParty {
                    name: s.name,
                    id_type: s.id_type,
                    document: s.document,
                    party_type: party_type?,
                    amount_fen: opt(v[4], amount)?,
                })
            })();
            match (party, out.as_mut()) {
                (Some(p), Some(o)) => o.push(p),
                _ => out = None,
            }
        }
        out
    }

    /// The children of a list segment: all named `item`, at most [`ITEMS_PER_SEGMENT_MAX`].
    fn items(&mut self, i: usize, seg: &str, item: &str) -> Option<Vec<usize>> {
        let tree = self.tree;
        let mut out = Vec::new();
        for c in tree.children(i) {
            let name = tree.get(c).name;
            if name != item {
                self.unknown(seg, name);
                return None;
            }
            out.push(c);
        }
        if out.is_empty() || out.len() > ITEMS_PER_SEGMENT_MAX {
            self.err(E::Range, seg, item, format!("1 to {ITEMS_PER_SEGMENT_MAX} entries"));
            return None;
        }
        Some(out)
    }

    fn agreement_link(&mut self, i: usize) -> Option<String> {
        let [code] = self.leaves(i, "AcctCredSgmt", ["ContractCode"]);
        self.key("AcctCredSgmt", "ContractCode", code)
    }

    fn state(&mut self, seg: &str, v: Option<&str>, t: Option<AccountType>) -> Option<String> {
        let v = self.req(seg, "AcctStatus", v)?;
        let listed = t.map(account_states).is_none_or(|l| l.contains(&v));
        if !listed {
            self.err(E::NotListed, seg, "AcctStatus", "not an account state of this account type");
        }
        listed.then(|| v.to_owned())
    }

    fn monthly(&mut self, i: usize, seg: &str, t: Option<AccountType>) -> Option<MonthlySegment> {
        let v = self.leaves(
            i,
            seg,
            [
                "Month",
                "SettDate",
                "AcctStatus",
                "AcctBal",
                "UsedAmt",
                "RemRepPrd",
                "FiveCate",
                "RpyStatus",
                "OverdPrd",
                "TotOverd",
                "OverdPrinc",
                "Oved31_60Princ",
                "Oved61_90Princ",
                "Oved91_180Princ",
                "OvedPrincPD180",
                "CurRpyAmt",
                "ActRpyAmt",
                "LatRpyDate",
                "CloseDate",
                "ObDaysPastDue",
                "ObCredLine",
            ],
        );
        let month = self.month(seg, "Month", v[0]);
        let settle_date = self.req_date(seg, "SettDate", v[1]);
        let account_state = self.state(seg, v[2], t);
        let balance = self.req_amount(seg, "AcctBal", v[3]);
        let used = self.amount(seg, "UsedAmt", v[4]);
        let remaining = self.int(seg, "RemRepPrd", v[5], 0, u64::from(u16::MAX));
        let class5 = self.code(seg, "FiveCate", v[6], Classification::parse);
        let status = self.req_code(seg, "RpyStatus", v[7], RepaymentStatus::parse);
        let periods = self.req(seg, "OverdPrd", v[8]);
        let periods = self.int(seg, "OverdPrd", periods, 0, u64::from(u16::MAX));
        let total = self.req_amount(seg, "TotOverd", v[9]);
        let principal = self.amount(seg, "OverdPrinc", v[10]);
        let names = ["Oved31_60Princ", "Oved61_90Princ", "Oved91_180Princ", "OvedPrincPD180"];
        let buckets = [11, 12, 13, 14].map(|k| {
            let b = self.amount(seg, names[k - 11], v[k]);
            opt(v[k], b)
        });
        let due = self.req_amount(seg, "CurRpyAmt", v[15]);
        let paid = self.req_amount(seg, "ActRpyAmt", v[16]);
        let last_payment = self.date(seg, "LatRpyDate", v[17]);
        let close_date = self.date(seg, "CloseDate", v[18]);
        let days = self.int(seg, "ObDaysPastDue", v[19], 0, u64::from(limits::DAYS_PAST_DUE_MAX));
        let limit = self.amount(seg, "ObCredLine", v[20]);
        let [b0, b1, b2, b3] = buckets;
        Some(MonthlySegment {
            month: month?,
            settle_date: settle_date?,
            account_state: account_state?,
            balance_fen: balance?,
            used_fen: opt(v[4], used)?,
            remaining_periods: opt(v[5], remaining)?,
            class5: opt(v[6], class5)?,
            status: status?,
            overdue_periods: periods?,
            overdue_total_fen: total?,
            overdue_principal_fen: opt(v[10], principal)?,
            overdue_buckets_fen: [b0?, b1?, b2?, b3?],
            due_fen: due?,
            paid_fen: paid?,
            last_payment: opt(v[17], last_payment)?,
            close_date: opt(v[18], close_date)?,
            days_past_due: opt(v[19], days)?,
            credit_limit_fen: opt(v[20], limit)?,
        })
    }

    fn non_monthly(&mut self, i: usize, t: Option<AccountType>) -> Option<NonMonthlySegment> {
        const S: &str = "AcctDbtInfSgmt";
        let v = self.leaves(
            i,
            S,
            [
                "AcctStatus",
                "AcctBal",
                "FiveCate",
                "RpyStatus",
                "OverdPrd",
                "TotOverd",
                "LatRpyAmt",
                "LatRpyDate",
                "CloseDate",
                "ObDaysPastDue",
            ],
        );
        let account_state = self.state(S, v[0], t);
        let balance = self.req_amount(S, "AcctBal", v[1]);
        let class5 = self.code(S, "FiveCate", v[2], Classification::parse);
        let status = self.req_code(S, "RpyStatus", v[3], RepaymentStatus::parse);
        let periods = self.req(S, "OverdPrd", v[4]);
        let periods = self.int(S, "OverdPrd", periods, 0, u64::from(u16::MAX));
        let total = self.req_amount(S, "TotOverd", v[5]);
        let last_amount = self.req_amount(S, "LatRpyAmt", v[6]);
        let last_payment = self.date(S, "LatRpyDate", v[7]);
        let close_date = self.date(S, "CloseDate", v[8]);
        let days = self.int(S, "ObDaysPastDue", v[9], 0, u64::from(limits::DAYS_PAST_DUE_MAX));
        Some(NonMonthlySegment {
            account_state: account_state?,
            balance_fen: balance?,
            class5: opt(v[2], class5)?,
            status: status?,
            overdue_periods: periods?,
            overdue_total_fen: total?,
            last_payment_fen: last_amount?,
            last_payment: opt(v[7], last_payment)?,
            close_date: opt(v[8], close_date)?,
            days_past_due: opt(v[9], days)?,
        })
    }

    fn special(&mut self, i: usize) -> Option<Vec<SpecialTransaction>> {
        const S: &str = "AcctSpecTrstDspnSgmt";
        let items = self.items(i, S, "CagOfTrdInf")?;
        let mut out = Some(Vec::with_capacity(items.len()));
        for item in items {
            let v = self.leaves(item, S, ["ChanTranType", "TranDate", "TranAmt", "DueTranMon", "DetInfo"]);
            let kind = self.req_code(S, "ChanTranType", v[0], SpecialTxType::parse);
            let date = self.req_date(S, "TranDate", v[1]);
            let amount = self.req_amount(S, "TranAmt", v[2]);
            let months = self.int(S, "DueTranMon", v[3], 0, u64::from(u16::MAX));
            let detail = self.text(S, "DetInfo", v[4], DETAIL_CHARS_MAX);
            let tx = (|| {
                Some(SpecialTransaction {
                    kind: kind?,
                    date: date?,
                    amount_fen: amount?,
                    months_changed: opt(v[3], months)?,
                    detail: opt(v[4], detail)?,
                })
            })();
            match (tx, out.as_mut()) {
                (Some(t), Some(o)) => o.push(t),
                _ => out = None,
            }
        }
        out
    }

    fn id_change(&mut self) -> Option<IdChange> {
        let v = self.leaves(0, "", ["InfRecType", "OdBnesCode", "NwBnesCode"]);
        let old_code = self.key("", "OdBnesCode", v[1]);
        let new_code = self.key("", "NwBnesCode", v[2]);
        Some(IdChange { old_code: old_code?, new_code: new_code? })
    }

    fn correction(&mut self) -> Option<Correction> {
        let names = [
            "InfRecType",
            "ModRecCode",
            "AcctType",
            "MdfcSgmtCode",
            "AcctBsInfSgmt",
            "RltRepymtInfSgmt",
            "AcctCredSgmt",
            "AcctMthlyBlgInfSgmt",
            "AcctDbtInfSgmt",
            "AcctSpecTrstDspnSgmt",
        ];
        let s = self.slots(0, "", names);
        let tree = self.tree;
        let leaf = |k: usize| s[k].map(|i| tree.get(i).text.as_ref()).filter(|t| !t.is_empty());
        let (code_v, type_v, seg_v) = (leaf(1), leaf(2), leaf(3));
        let account_code = self.key("", "ModRecCode", code_v);
        let account_type = self.req_code("", "AcctType", type_v, AccountType::parse);
        let segment = self.req_code("", "MdfcSgmtCode", seg_v, SegmentCode::parse);
        let present: Vec<usize> = (4..names.len()).filter(|k| s[*k].is_some()).collect();
        let [k] = present.as_slice() else {
            self.err(E::Element, "", "MdfcSgmtCode", "a correction carries exactly one segment");
            return None;
        };
        let i = s[*k]?;
        let corrected = match *k {
            4 => self.info(i, account_type).map(CorrectedSegment::Info),
            5 => self.parties(i).map(CorrectedSegment::Parties),
            6 => self.agreement_link(i).map(CorrectedSegment::Agreement),
            7 => self.monthly(i, "AcctMthlyBlgInfSgmt", account_type).map(CorrectedSegment::Monthly),
            8 => self.non_monthly(i, account_type).map(CorrectedSegment::NonMonthly),
            _ => self.special(i).map(CorrectedSegment::Special),
        };
        if let (Some(seg), Some(c)) = (segment, &corrected)
            && c.code() != seg
        {
            self.err(E::Inconsistent, "", "MdfcSgmtCode", "the segment carried is not the one named");
        }
        Some(Correction { account_code: account_code?, account_type: account_type?, segment: corrected? })
    }

    fn segment_deletion(&mut self) -> Option<SegmentDeletion> {
        let v = self.leaves(0, "", ["InfRecType", "DelRecCode", "DelSgmtCode", "DelStartDate", "DelEndDate"]);
        let account_code = self.key("", "DelRecCode", v[1]);
        let segment = self.req_code("", "DelSgmtCode", v[2], SegmentCode::parse);
        let start = self.req_date("", "DelStartDate", v[3]);
        let end = self.req_date("", "DelEndDate", v[4]);
        Some(SegmentDeletion { account_code: account_code?, segment: segment?, start: start?, end: end? })
    }

    fn account_deletion(&mut self) -> Option<AccountDeletion> {
        let v = self.leaves(0, "", ["InfRecType", "DelRecCode"]);
        Some(AccountDeletion { account_code: self.key("", "DelRecCode", v[1])? })
    }

    fn special_event(&mut self) -> Option<SpecialEvent> {
        let v = self.leaves(0, "", ["InfRecType", "AcctCode", "Month", "SpecEvtType", "SpecEvtDesc"]);
        let account_code = self.key("", "AcctCode", v[1]);
        let month = self.month("", "Month", v[2]);
        let kind = self.req_code("", "SpecEvtType", v[3], EventType::parse);
        let description = self.text("", "SpecEvtDesc", v[4], DETAIL_CHARS_MAX);
        Some(SpecialEvent {
            account_code: account_code?,
            month: month?,
            kind: kind?,
            description: opt(v[4], description)?,
        })
    }

    fn agreement(&mut self) -> Option<CreditAgreement> {
        let s = self.slots(0, "", ["CtrctBsSgmt", "CreditLimSgmt"]);
        let (Some(b), Some(l)) = (s[0], s[1]) else {
            self.err(E::Missing, "", "CreditLimSgmt", "a 220 record has segments CtrctBsSgmt and CreditLimSgmt");
            return None;
        };
        const B: &str = "CtrctBsSgmt";
        let v = self.leaves(
            b,
            B,
            [
                "InfRecType",
                "ContractCode",
                "RptDate",
                "RptDateCode",
                "Name",
                "IDType",
                "IDNum",
                "MngmtOrgCode",
                "ObBirthDate",
            ],
        );
        let agreement_code = self.key(B, "ContractCode", v[1]);
        let report_date = self.req_date(B, "RptDate", v[2]);
        let reason = self.req_code(B, "RptDateCode", v[3], ReportReason::parse);
        let subject = self.subject(B, ["Name", "IDType", "IDNum"], [v[4], v[5], v[6]], v[8]);
        let managing_org = self.org(B, "MngmtOrgCode", v[7]);
        const L: &str = "CreditLimSgmt";
        let w = self.leaves(
            l,
            L,
            ["CreditLimType", "Cy", "CreditLim", "ConEffDate", "ConExpDate", "ConStatus", "ObRepayDay", "ObResp"],
        );
        let limit_type = self.req_code(L, "CreditLimType", w[0], LimitType::parse);
        let currency = self.currency(L, "Cy", w[1]);
        let limit = self.req_amount(L, "CreditLim", w[2]);
        let effective = self.req_date(L, "ConEffDate", w[3]);
        let expiry = self.date(L, "ConExpDate", w[4]);
        let status = self.req_code(L, "ConStatus", w[5], AgreementStatus::parse);
        let repay_day = self.int(L, "ObRepayDay", w[6], 1, 28);
        let responsibility = self.responsibility(L, w[7]);
        Some(CreditAgreement {
            agreement_code: agreement_code?,
            report_date: report_date?,
            reason: reason?,
            subject: subject?,
            managing_org: managing_org?,
            limit_type: limit_type?,
            currency: currency?,
            limit_fen: limit?,
            effective: effective?,
            expiry: opt(w[4], expiry)?,
            status: status?,
            repay_day: opt(w[6], repay_day)?,
            responsibility: responsibility?,
        })
    }

    fn person(&mut self) -> Option<PersonInfo> {
        let s = self.slots(0, "", ["BsSgmt", "FcsInfSgmt"]);
        let (Some(b), Some(f)) = (s[0], s[1]) else {
            self.err(E::Missing, "", "FcsInfSgmt", "a 110 record has segments BsSgmt and FcsInfSgmt");
            return None;
        };
        const B: &str = "BsSgmt";
        let v = self.leaves(b, B, ["InfRecType", "Name", "IDType", "IDNum", "InfSurcCode", "RptDate"]);
        let subject = self.subject(B, ["Name", "IDType", "IDNum"], [v[1], v[2], v[3]], None);
        let source_org = self.org(B, "InfSurcCode", v[4]);
        let report_date = self.req_date(B, "RptDate", v[5]);
        let [dob] = self.leaves(f, "FcsInfSgmt", ["DOB"]);
        let birth_date = self.req_date("FcsInfSgmt", "DOB", dob);
        Some(PersonInfo {
            subject: subject?,
            source_org: source_org?,
            report_date: report_date?,
            birth_date: birth_date?,
        })
    }
}

/// An optional value: `Some(None)` when absent, `None` when present but invalid.
fn opt<T>(raw: Option<&str>, parsed: Option<T>) -> Option<Option<T>> {
    match (raw, parsed) {
        (None, _) => Some(None),
        (Some(_), Some(v)) => Some(Some(v)),
        (Some(_), None) => None,
    }
}

/// Whether `s` is an institution code: [`ORG_CODE_CHARS`] upper-case ASCII letters and digits.
pub(crate) fn is_org_code(s: &str) -> bool {
    s.len() == ORG_CODE_CHARS && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Yuan with at most two decimals (`1234`, `1234.5`, `1234.56`) as fen; no sign, no exponent.
pub fn parse_amount(s: &str) -> Result<i64, &'static str> {
    const FORM: &str = "an amount is yuan with at most 2 decimals, e.g. 1234.56";
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return Err(FORM),
        None => (s, ""),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(FORM);
    }
    if frac.len() > 2 {
        return Err("an amount has at most 2 decimals");
    }
    let int = int.trim_start_matches('0');
    if int.len() > AMOUNT_INTEGER_DIGITS_MAX {
        return Err("an amount is at most 10^13 yuan");
    }
    let yuan: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| FORM)? };
    let mut fen: i64 = frac.parse().unwrap_or(0);
    if frac.len() == 1 {
        fen *= 10;
    }
    let total = yuan.checked_mul(FEN_PER_YUAN).and_then(|y| y.checked_add(fen)).ok_or(FORM)?;
    if total > limits::AMOUNT_MINOR_MAX {
        return Err("an amount is at most 10^13 yuan");
    }
    Ok(total)
}

/// Fen as yuan with exactly two decimals (`123456` → `1234.56`).
pub fn format_amount(fen: i64) -> String {
    let abs = fen.unsigned_abs();
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_fen() {
        let ok = [
            ("0", 0),
            ("1234.56", 123456),
            ("1234.5", 123450),
            ("007.01", 701),
            ("10000000000000", 1_000_000_000_000_000),
        ];
        for (s, fen) in ok {
            assert_eq!(parse_amount(s), Ok(fen), "{s}");
        }
        for bad in ["", ".5", "1.", "1.234", "-1", "+1", "1e3", "1,000", " 1", "10000000000000.01", "99999999999999"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        for fen in [0, 5, 50, 123456, limits::AMOUNT_MINOR_MAX] {
            assert_eq!(parse_amount(&format_amount(fen)), Ok(fen));
        }
    }
}
