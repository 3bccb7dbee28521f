//! Every code list of the PBOC-style messages, and the feedback error codes, in one place.
//!
//! The normative specification is not public: the lists below follow what bank and vendor
//! implementations use where that is known (docs/domain/pboc.md) and are OpenBureau's own choice
//! elsewhere, marked "ours". docs/formats/pboc.md lists them; correct them here and there together.

use ob_model::{AccountType, Code, DocumentType, RepaymentStatus, SpecialKind};
pub use ob_model::{GuaranteeMode, LoanKind, RepayFrequency, RepaymentMethod};
use std::fmt;

macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $sym:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The code as written in messages.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $sym, )+ }
            }

            /// Parses a code; `None` when it is not on the list.
            pub fn parse(symbol: &str) -> Option<Self> {
                match symbol { $( $sym => Some($name::$variant), )+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_list! {
    /// Information record type (信息记录类型): the kind of every record in a file.
    RecordType {
        /// 110 personal basic information (个人基本信息记录).
        Person = "110",
        /// 210 personal loan account (个人借贷账户信息记录).
        Account = "210",
        /// 211 change of an account's identifier (账户标识变更).
        IdChange = "211",
        /// 212 correction of one segment (按段更正).
        Correction = "212",
        /// 213 deletion of one segment over a date range (按段删除).
        SegmentDeletion = "213",
        /// 214 deletion of the whole account (整笔删除).
        AccountDeletion = "214",
        /// 215 special event (特殊事件说明).
        SpecialEvent = "215",
        /// 220 personal credit agreement (个人授信协议信息记录).
        Agreement = "220",
    }
}

code_list! {
    /// Identity document type (证件类型). `10` and `2` follow the PBOC-style list; `X` (other
    /// document) is used here only for a US SSN, the one other document OpenBureau's model knows.
    IdType {
        /// Resident identity card and others keyed by the citizen ID number (居民身份证).
        ResidentId = "10",
        /// Passport (护照).
        Passport = "2",
        /// Other document (其他证件): a US social security number in OpenBureau.
        Other = "X",
    }
}

code_list! {
    /// Report-date reason (报告时点说明代码) of a 210 or 220 record.
    ReportReason {
        /// 10 new account, reported within 30 days of opening.
        New = "10",
        /// 20 account closed.
        Closed = "20",
        /// 30 monthly settlement (not for C1).
        Monthly = "30",
        /// 31 first report of an existing account, at month end.
        FirstExisting = "31",
        /// 32 account closed at month end.
        ClosedMonthEnd = "32",
        /// 40 overdue amount recovered (J segment only).
        Recovered = "40",
    }
}

code_list! {
    /// Business line (借贷业务大类) of segment C.
    BusinessLine {
        /// 1 loan (贷款).
        Loan = "1",
        /// 2 credit card (信用卡).
        Card = "2",
        /// 3 securities financing (证券类融资).
        Securities = "3",
        /// 4 financial leasing (融资租赁).
        Leasing = "4",
        /// 5 asset disposal (资产处置).
        AssetDisposal = "5",
        /// 6 advance payment (垫款).
        Advance = "6",
    }
}

code_list! {
    /// Type of a related repayment party (还款责任人类型) in segment D (ours: a short list).
    PartyType {
        /// 1 co-borrower (共同借款人).
        CoBorrower = "1",
        /// 2 guarantor (保证人).
        Guarantor = "2",
        /// 9 other.
        Other = "9",
    }
}

code_list! {
    /// Special transaction type (特殊交易类型) of segment K.
    SpecialTxType {
        /// 11 extension (展期).
        Extension = "11",
        /// 12 a guarantor repaid (担保人代还).
        GuarantorRepaid = "12",
        /// 13 repaid by transfer of assets (以资抵债).
        AssetRepaid = "13",
        /// 14 partial early repayment.
        EarlyPartial = "14",
        /// 15 full early repayment.
        EarlyFull = "15",
        /// 16 debt relief (债务减免).
        DebtRelief = "16",
        /// 17 asset stripping (资产剥离).
        AssetStripping = "17",
        /// 18 asset transfer (资产转让).
        AssetTransfer = "18",
        /// 19 card instalments (信用卡个性化分期).
        CardInstalment = "19",
        /// 21 extension granted by the lender (银行主动延期).
        LenderDeferral = "21",
        /// 22 forced liquidation (强制平仓).
        ForcedLiquidation = "22",
        /// 99 other.
        Other = "99",
    }
}

code_list! {
    /// Special event type of a 215 record (ours: the PBOC-style list is not public).
    EventType {
        /// 1 the borrower died.
        Deceased = "1",
        /// 2 the borrower cannot be reached.
        Untraceable = "2",
        /// 3 the account was transferred to another institution.
        Transferred = "3",
        /// 9 other.
        Other = "9",
    }
}

code_list! {
    /// Credit limit type (授信额度类型) of a 220 record.
    LimitType {
        /// 10 revolving loan limit (循环贷授信额度): a Huabei-style line.
        RevolvingLoan = "10",
        /// 20 non-revolving loan limit.
        NonRevolvingLoan = "20",
        /// 30 credit card shared limit.
        CardShared = "30",
        /// 31 credit card own limit.
        CardOwn = "31",
    }
}

code_list! {
    /// State of a credit agreement (ours).
    AgreementStatus {
        /// 1 in force.
        Active = "1",
        /// 2 ended.
        Ended = "2",
    }
}

code_list! {
    /// Segment code (段标) named by 212 and 213 records.
    SegmentCode {
        /// B base.
        B = "B",
        /// C basic information.
        C = "C",
        /// D related repayment parties.
        D = "D",
        /// F credit agreement link.
        F = "F",
        /// H monthly performance.
        H = "H",
        /// J non-monthly performance.
        J = "J",
        /// K special transactions.
        K = "K",
    }
}

impl IdType {
    /// The model's document type for this code.
    pub fn document_type(self) -> DocumentType {
        match self {
            IdType::ResidentId => DocumentType::PrcResidentId,
            IdType::Passport => DocumentType::Passport,
            IdType::Other => DocumentType::UsSsn,
        }
    }

    /// The code for a model document type.
    pub fn of(t: DocumentType) -> IdType {
        match t {
            DocumentType::PrcResidentId => IdType::ResidentId,
            DocumentType::Passport => IdType::Passport,
            DocumentType::UsSsn => IdType::Other,
        }
    }
}

/// Account states (账户状态) of loans (D1, R1, R4): 1 normal, 2 overdue, 3 closed, 4 bad debt,
/// 5 transferred out, 6 insufficient collateral, 7 forced liquidation, 8 judicial recovery.
pub const LOAN_ACCOUNT_STATES: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8"];
/// Account states of cards (R2, R3): 1 normal, 2 frozen, 3 stopped, 31 stopped by the bank,
/// 4 cancelled, 5 bad debt, 6 not activated, 8 judicial recovery.
pub const CARD_ACCOUNT_STATES: &[&str] = &["1", "2", "3", "31", "4", "5", "6", "8"];
/// Account states of collections (C1): 1 being collected, 2 ended.
pub const COLLECTION_ACCOUNT_STATES: &[&str] = &["1", "2"];

/// The account states allowed for an account type.
pub fn account_states(t: AccountType) -> &'static [&'static str] {
    match t {
        AccountType::R2 | AccountType::R3 => CARD_ACCOUNT_STATES,
        AccountType::C1 => COLLECTION_ACCOUNT_STATES,
        _ => LOAN_ACCOUNT_STATES,
    }
}

/// Whether an account state closes the account (loans 3 closed, 5 transferred out; cards 4
/// cancelled; collections 2 ended): such a state comes with a close date, and only such a state.
pub fn is_closing_state(t: AccountType, state: &str) -> bool {
    match t {
        AccountType::R2 | AccountType::R3 => state == "4",
        AccountType::C1 => state == "2",
        _ => matches!(state, "3" | "5"),
    }
}

/// The account state the writer derives from a month's repayment status and close date.
pub fn account_state_for(t: AccountType, status: RepaymentStatus, closed: bool) -> &'static str {
    use RepaymentStatus as S;
    let card = matches!(t, AccountType::R2 | AccountType::R3);
    match (t, closed) {
        (AccountType::C1, true) => "2",
        (AccountType::C1, false) => "1",
        (_, true) if card => "4",
        (_, true) if status == S::EndedOther => "5",
        (_, true) => "3",
        (_, false) if status == S::BadDebt => {
            if card {
                "5"
            } else {
                "4"
            }
        }
        (_, false) if status.overdue_periods().is_some() && !card => "2",
        _ => "1",
    }
}

/// The business line the writer derives from an account type.
pub fn business_line_for(t: AccountType) -> BusinessLine {
    match t {
        AccountType::R2 | AccountType::R3 => BusinessLine::Card,
        AccountType::C1 => BusinessLine::AssetDisposal,
        _ => BusinessLine::Loan,
    }
}

/// Days past due assumed when a month gives no `ObDaysPastDue`: the last day of the status's
/// bucket (1 → 30 … 6 → 180; 7 → 181); 0 for every other status.
pub fn default_days_past_due(status: RepaymentStatus) -> u32 {
    match status.overdue_periods() {
        Some(7) => 181,
        Some(p) => u32::from(p) * 30,
        None => 0,
    }
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $sym:literal ),+ $(,)?) => {
        /// A feedback error code: six characters, stable, documented in docs/formats/pboc.md.
        ///
        /// Families: `ABE…` format, range and date order; `BLR…` segment rules; `OBF…` the file
        /// (ours); `OBM…` what OpenBureau's model cannot hold (ours); `OBB…` the bureau's own
        /// checks (ours). Only ABE002 is known from public sources: numbers from 101 up are
        /// OpenBureau's, chosen so as not to collide with the real (unpublished) numbering.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),+ ];

            /// The six-character code.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $sym, )+ }
            }

            /// The code as an OpenBureau [`Code`] (`Code::Format("ABE002")`).
            pub fn code(self) -> Code {
                Code::Format(self.as_str())
            }
        }
    };
}

error_codes! {
    /// ABE002: the account identifier belongs to another institution (checked by the bureau).
    OtherInstitution = "ABE002",
    /// The line is not one well-formed `<Document>` element in UTF-8.
    XmlInvalid = "ABE101",
    /// The record type is missing, unknown, or not the file's.
    RecordType = "ABE102",
    /// A required element is missing or empty.
    Missing = "ABE103",
    /// A value has the wrong form (characters, length, pattern).
    Format = "ABE104",
    /// A value is not on its code list.
    NotListed = "ABE105",
    /// An amount is not yuan with at most 2 decimals, is negative or too large; or a number is out
    /// of range.
    Range = "ABE106",
    /// A date or month is not real, or outside 1901–2099.
    Date = "ABE107",
    /// Dates out of order (e.g. the report date before the open date).
    DateOrder = "ABE108",
    /// An element that is unknown, repeated, misplaced or carries attributes.
    Element = "ABE109",
    /// An identity document number fails its format or check digit.
    Document = "ABE110",
    /// Fields of one record disagree (status and overdue figures, state and close date…).
    Inconsistent = "ABE111",
    /// A text is longer than its limit.
    TooLong = "ABE112",
    /// An element of a banned category or purchase-level data (never collected).
    Banned = "ABE113",
    /// A segment this report-date reason needs is missing.
    ReasonNeeds = "BLR101",
    /// A segment this report-date reason forbids is present.
    ReasonForbids = "BLR102",
    /// A segment is forbidden for this account type (H and F for C1).
    TypeForbids = "BLR103",
    /// The report-date reason is not allowed for this account type (30 for C1).
    ReasonForType = "BLR104",
    /// A new account (reason 10) reported more than 30 days after opening.
    NewTooLate = "BLR105",
    /// Reason 31 or 32 with a report date that is not a month end.
    NotMonthEnd = "BLR106",
    /// A closing reason (20, 32) without a close date.
    CloseDateMissing = "BLR107",
    /// The file name does not follow the convention.
    FileName = "OBF001",
    /// The header line is missing or wrong.
    Header = "OBF002",
    /// The header's record count differs from the records in the file.
    Count = "OBF003",
    /// A line is longer than the limit.
    LineTooLong = "OBF004",
    /// More records than one file may hold.
    TooManyRecords = "OBF005",
    /// The file name and the header disagree (record type or institution).
    NameMismatch = "OBF006",
    /// Valid in the format, but nothing OpenBureau's model can hold (e.g. deleting segment C).
    NotHeld = "OBM001",
    /// No birth date: the document does not embed one and no `ObBirthDate` is given.
    BirthDateUnknown = "OBM002",
    /// The same account-month twice in one batch (bureau: MONTH_DUPLICATE).
    MonthDuplicate = "OBB001",
    /// The used amount far above the credit limit (bureau: USED_OVER_LIMIT).
    UsedOverLimit = "OBB002",
    /// No reporting consent in force (bureau: NO_CONSENT).
    NoConsent = "OBB003",
    /// The document is on file under another name or birth date (bureau: IDENTITY_CONFLICT).
    IdentityConflict = "OBB004",
    /// An account never opened, or an unknown credit line (bureau: UNKNOWN_ACCOUNT).
    UnknownAccount = "OBB005",
    /// The account key sent for another person, or months for a deleted account (ACCOUNT_CONFLICT).
    AccountConflict = "OBB006",
    /// A first negative month without a prior notice (bureau: NO_NOTICE).
    NoNotice = "OBB007",
    /// An item deleted after a dispute (bureau: DISPUTE_DELETED).
    DisputeDeleted = "OBB008",
    /// A consent the person revoked, sent again (bureau: CONSENT_REVOKED).
    ConsentRevoked = "OBB009",
    /// Any other bureau code.
    Other = "OBB999",
}

/// The six-character feedback code of any OpenBureau [`Code`]: a PBOC-style code
/// (`Code::Format`) as is, every other code by the table in docs/formats/pboc.md.
pub fn feedback_code(code: Code) -> &'static str {
    let e = match code {
        Code::Format(s) if s.len() == 6 => return s,
        Code::JsonSyntax => ErrorCode::XmlInvalid,
        Code::LineTooLong => ErrorCode::LineTooLong,
        Code::UnknownKind => ErrorCode::RecordType,
        Code::FieldMissing => ErrorCode::Missing,
        Code::FieldInvalid => ErrorCode::Format,
        Code::FieldUnknown => ErrorCode::Element,
        Code::FieldBanned => ErrorCode::Banned,
        Code::FieldTooLong => ErrorCode::TooLong,
        Code::OutOfRange => ErrorCode::Range,
        Code::DateInvalid => ErrorCode::Date,
        Code::DocumentInvalid => ErrorCode::Document,
        Code::HeaderInvalid => ErrorCode::Header,
        Code::BatchTooLarge => ErrorCode::TooManyRecords,
        Code::BeforeOpening | Code::DateOrder => ErrorCode::DateOrder,
        Code::StatusInconsistent => ErrorCode::Inconsistent,
        Code::NotOwnAccount => ErrorCode::OtherInstitution,
        Code::MonthDuplicate => ErrorCode::MonthDuplicate,
        Code::UsedOverLimit => ErrorCode::UsedOverLimit,
        Code::NoConsent => ErrorCode::NoConsent,
        Code::IdentityConflict => ErrorCode::IdentityConflict,
        Code::UnknownAccount => ErrorCode::UnknownAccount,
        Code::AccountConflict => ErrorCode::AccountConflict,
        Code::NoNotice => ErrorCode::NoNotice,
        Code::DisputeDeleted => ErrorCode::DisputeDeleted,
        Code::ConsentRevoked => ErrorCode::ConsentRevoked,
        _ => ErrorCode::Other,
    };
    e.as_str()
}

impl SpecialTxType {
    /// The model's kind of this transaction.
    pub fn kind(self) -> SpecialKind {
        match self {
            SpecialTxType::Extension => SpecialKind::Extension,
            SpecialTxType::GuarantorRepaid => SpecialKind::GuarantorRepaid,
            SpecialTxType::AssetRepaid => SpecialKind::AssetRepaid,
            SpecialTxType::EarlyPartial => SpecialKind::EarlyPartial,
            SpecialTxType::EarlyFull => SpecialKind::EarlyFull,
            SpecialTxType::DebtRelief => SpecialKind::DebtRelief,
            SpecialTxType::AssetStripping => SpecialKind::AssetStripping,
            SpecialTxType::AssetTransfer => SpecialKind::AssetTransfer,
            SpecialTxType::CardInstalment => SpecialKind::CardInstalment,
            SpecialTxType::LenderDeferral => SpecialKind::LenderDeferral,
            SpecialTxType::ForcedLiquidation => SpecialKind::ForcedLiquidation,
            SpecialTxType::Other => SpecialKind::Other,
        }
    }

    /// The transaction type of a model kind; `None` for an event.
    pub fn of(kind: SpecialKind) -> Option<SpecialTxType> {
        SpecialTxType::ALL.iter().copied().find(|t| t.kind() == kind)
    }
}

impl EventType {
    /// The model's kind of this event.
    pub fn kind(self) -> SpecialKind {
        match self {
            EventType::Deceased => SpecialKind::Deceased,
            EventType::Untraceable => SpecialKind::Untraceable,
            EventType::Transferred => SpecialKind::Transferred,
            EventType::Other => SpecialKind::OtherEvent,
        }
    }

    /// The event type of a model kind; `None` for a transaction.
    pub fn of(kind: SpecialKind) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.kind() == kind)
    }
}

impl LimitType {
    /// The model's kind of this limit.
    pub fn kind(self) -> ob_model::AgreementKind {
        match self {
            LimitType::RevolvingLoan => ob_model::AgreementKind::RevolvingLoan,
            LimitType::NonRevolvingLoan => ob_model::AgreementKind::NonRevolvingLoan,
            LimitType::CardShared => ob_model::AgreementKind::CardShared,
            LimitType::CardOwn => ob_model::AgreementKind::CardOwn,
        }
    }

    /// The limit type of a model kind.
    pub fn of(kind: ob_model::AgreementKind) -> LimitType {
        match kind {
            ob_model::AgreementKind::RevolvingLoan => LimitType::RevolvingLoan,
            ob_model::AgreementKind::NonRevolvingLoan => LimitType::NonRevolvingLoan,
            ob_model::AgreementKind::CardShared => LimitType::CardShared,
            ob_model::AgreementKind::CardOwn => LimitType::CardOwn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_six_characters_distinct_and_in_their_families() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert_eq!(s.len(), 6, "{s}");
            assert!(["ABE", "BLR", "OBF", "OBM", "OBB"].contains(&&s[..3]), "{s}");
            assert!(seen.insert(s), "{s}");
        }
    }

    #[test]
    fn every_model_code_has_a_feedback_code() {
        for c in Code::ALL {
            assert_eq!(feedback_code(c).len(), 6, "{c}");
        }
        assert_eq!(feedback_code(Code::NotOwnAccount), "ABE002");
        assert_eq!(feedback_code(Code::Format("BLR101")), "BLR101");
    }

    #[test]
    fn derived_states_are_on_their_lists_and_close_exactly_when_closed() {
        let types = [AccountType::D1, AccountType::R1, AccountType::R2, AccountType::R4, AccountType::C1];
        for t in types {
            for s in RepaymentStatus::ALL {
                for closed in [false, true] {
                    let state = account_state_for(t, *s, closed);
                    assert!(account_states(t).contains(&state), "{t} {s} {closed}");
                    assert_eq!(is_closing_state(t, state), closed, "{t} {s} {closed}");
                }
            }
        }
    }

    #[test]
    fn default_days_fall_in_the_status_bucket() {
        for s in RepaymentStatus::ALL {
            let d = default_days_past_due(*s);
            if s.overdue_periods().is_some() {
                assert_eq!(RepaymentStatus::from_days_past_due(d), *s);
            } else {
                assert_eq!(d, 0);
            }
        }
    }
}
