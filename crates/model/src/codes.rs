//! The closed code lists of the PBOC-style credit report (see docs/domain/pboc.md).
//!
//! Each list serializes to the symbol used in reports and files (`"R1"`, `"N"`, `"02"`).

use serde::{Deserialize, Serialize};

// `$sym` is a `tt`, not a `literal`: a `literal` fragment reaches derive macros wrapped in an
// invisible group, which utoipa's `ToSchema` does not read as `#[serde(rename = "…")]` (the
// OpenAPI enum would list the variants' names instead of the codes).
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $sym:tt ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $sym)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The symbol as written in files and reports.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $sym, )+ }
            }

            /// Parses a symbol; `None` when it is not on the list.
            pub fn parse(symbol: &str) -> Option<Self> {
                match symbol { $( $sym => Some($name::$variant), )+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_list! {
    /// Account type (账户类型).
    AccountType {
        /// Non-revolving loan (非循环贷账户): consumer loans, mortgages.
        D1 = "D1",
        /// Revolving loan (循环贷账户): credit lines such as a Huabei-style line.
        R1 = "R1",
        /// Credit card (贷记卡).
        R2 = "R2",
        /// Quasi-credit card (准贷记卡).
        R3 = "R3",
        /// Sub-account under a revolving line (循环额度下分账户), e.g. an instalment plan.
        R4 = "R4",
        /// Collection (被追偿).
        C1 = "C1",
    }
}

impl AccountType {
    /// The order in which account details appear in a report: riskiest first, as the PBOC report does.
    pub const REPORT_ORDER: [AccountType; 6] =
        [AccountType::C1, AccountType::D1, AccountType::R4, AccountType::R1, AccountType::R2, AccountType::R3];

    /// Whether the account has a credit limit that is drawn on and repaid (R1, R2, R3).
    pub fn is_revolving(self) -> bool {
        matches!(self, AccountType::R1 | AccountType::R2 | AccountType::R3)
    }

    /// The Chinese name used in report section titles.
    pub fn title_zh(self) -> &'static str {
        match self {
            AccountType::D1 => "非循环贷账户",
            AccountType::R1 => "循环贷账户",
            AccountType::R2 => "贷记卡账户",
            AccountType::R3 => "准贷记卡账户",
            AccountType::R4 => "循环额度下分账户",
            AccountType::C1 => "被追偿账户",
        }
    }

    /// The English name used beside the Chinese one.
    pub fn title_en(self) -> &'static str {
        match self {
            AccountType::D1 => "Non-revolving loans",
            AccountType::R1 => "Revolving loans",
            AccountType::R2 => "Credit cards",
            AccountType::R3 => "Quasi-credit cards",
            AccountType::R4 => "Sub-accounts under revolving lines",
            AccountType::C1 => "Collections",
        }
    }
}

code_list! {
    /// Repayment status symbol (还款状态) of one month.
    RepaymentStatus {
        /// Normal: paid as due.
        Normal = "N",
        /// 1–30 days overdue.
        Overdue1 = "1",
        /// 31–60 days overdue.
        Overdue2 = "2",
        /// 61–90 days overdue.
        Overdue3 = "3",
        /// 91–120 days overdue.
        Overdue4 = "4",
        /// 121–150 days overdue.
        Overdue5 = "5",
        /// 151–180 days overdue.
        Overdue6 = "6",
        /// Over 180 days overdue.
        Overdue7 = "7",
        /// Settled (结清): balance zero.
        Settled = "C",
        /// Ended otherwise (write-off, transfer).
        EndedOther = "G",
        /// A guarantor paid.
        GuarantorPaid = "D",
        /// Repaid by transfer of assets (以资抵债).
        AssetTransfer = "Z",
        /// Bad debt (呆账), cards.
        BadDebt = "B",
        /// Status unknown.
        Unknown = "#",
        /// Nothing due that month.
        NothingDue = "*",
        /// Account not open yet.
        NotOpen = "/",
    }
}

impl RepaymentStatus {
    /// What the symbol means, in Chinese and English: the one table behind every legend.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            RepaymentStatus::Normal => ("正常还款", "paid as agreed"),
            RepaymentStatus::Overdue1 => ("逾期1-30天", "1–30 days overdue"),
            RepaymentStatus::Overdue2 => ("逾期31-60天", "31–60 days overdue"),
            RepaymentStatus::Overdue3 => ("逾期61-90天", "61–90 days overdue"),
            RepaymentStatus::Overdue4 => ("逾期91-120天", "91–120 days overdue"),
            RepaymentStatus::Overdue5 => ("逾期121-150天", "121–150 days overdue"),
            RepaymentStatus::Overdue6 => ("逾期151-180天", "151–180 days overdue"),
            RepaymentStatus::Overdue7 => ("逾期180天以上", "over 180 days overdue"),
            RepaymentStatus::Settled => ("结清", "settled"),
            RepaymentStatus::EndedOther => ("其他方式结束", "ended otherwise"),
            RepaymentStatus::GuarantorPaid => ("担保人代还", "paid by a guarantor"),
            RepaymentStatus::AssetTransfer => ("以资抵债", "repaid by transfer of assets"),
            RepaymentStatus::BadDebt => ("呆账", "bad debt"),
            RepaymentStatus::Unknown => ("未报送", "not reported"),
            RepaymentStatus::NothingDue => ("本月无需还款", "nothing due"),
            RepaymentStatus::NotOpen => ("未开立", "not yet open"),
        }
    }

    /// For overdue statuses 1–7, the number of overdue periods the symbol stands for.
    pub fn overdue_periods(self) -> Option<u8> {
        match self {
            RepaymentStatus::Overdue1 => Some(1),
            RepaymentStatus::Overdue2 => Some(2),
            RepaymentStatus::Overdue3 => Some(3),
            RepaymentStatus::Overdue4 => Some(4),
            RepaymentStatus::Overdue5 => Some(5),
            RepaymentStatus::Overdue6 => Some(6),
            RepaymentStatus::Overdue7 => Some(7),
            _ => None,
        }
    }

    /// The overdue status for a number of days past due (0 gives `Normal`).
    pub fn from_days_past_due(days: u32) -> RepaymentStatus {
        match days {
            0 => RepaymentStatus::Normal,
            1..=30 => RepaymentStatus::Overdue1,
            31..=60 => RepaymentStatus::Overdue2,
            61..=90 => RepaymentStatus::Overdue3,
            91..=120 => RepaymentStatus::Overdue4,
            121..=150 => RepaymentStatus::Overdue5,
            151..=180 => RepaymentStatus::Overdue6,
            _ => RepaymentStatus::Overdue7,
        }
    }

    /// Whether this status is negative information (overdue or a bad outcome).
    pub fn is_negative(self) -> bool {
        self.overdue_periods().is_some()
            || matches!(
                self,
                RepaymentStatus::BadDebt | RepaymentStatus::GuarantorPaid | RepaymentStatus::AssetTransfer
            )
    }

    /// Whether the status ends the account (no further months are expected).
    pub fn is_terminal(self) -> bool {
        matches!(self, RepaymentStatus::Settled | RepaymentStatus::EndedOther)
    }

    /// Whether a month of this status leaving `balance_minor` owing closes the account: a terminal
    /// status, a debt repaid by assets (`Z`), or one repaid by a guarantor (`D`) with nothing left
    /// owing — the months a report shows settled ([`AccountState::derive`]). Every reading of
    /// "closed" (the report's open accounts and limits, stale accounts, post-loan inquiries, the
    /// end of a delinquency for retention) goes by this.
    pub fn closes_with(self, balance_minor: i64) -> bool {
        self.is_terminal()
            || self == RepaymentStatus::AssetTransfer
            || (self == RepaymentStatus::GuarantorPaid && balance_minor == 0)
    }
}

code_list! {
    /// An account's state as the PBOC report shows it (账户状态), derived from its latest month
    /// ([`AccountState::derive`]). Card blocks (止付, 冻结) are not derived: no furnisher format
    /// here carries them.
    AccountState {
        /// 正常: reported, nothing past due.
        Normal = "normal",
        /// 逾期: an amount past due, or an overdue status (1–7).
        Overdue = "overdue",
        /// 呆账: written off as bad debt (status B).
        BadDebt = "bad_debt",
        /// 转出: the debt sold or transferred, or settled for less (status G).
        Transferred = "transferred",
        /// 结清: a loan or line paid off (status C; Z, repaid by assets; D, a guarantor paid it
        /// all).
        Settled = "settled",
        /// 销户: a card closed (status C on R2, R3).
        Cancelled = "cancelled",
        /// 催收: a debt in collection (C1), not ended.
        InCollection = "in_collection",
        /// 结束: a collection ended (C1 with status C or G).
        CollectionEnded = "collection_ended",
    }
}

impl AccountState {
    /// The state of an account of type `account_type` whose latest reported month has `status`
    /// and `past_due_minor` and `balance_minor` (`None`: nothing reported yet).
    pub fn derive(account_type: AccountType, latest: Option<(RepaymentStatus, i64, i64)>) -> AccountState {
        use RepaymentStatus as S;
        let card = matches!(account_type, AccountType::R2 | AccountType::R3);
        let Some((status, past_due, balance)) = latest else {
            return if account_type == AccountType::C1 { AccountState::InCollection } else { AccountState::Normal };
        };
        match (account_type, status) {
            (AccountType::C1, S::Settled | S::EndedOther) => AccountState::CollectionEnded,
            (AccountType::C1, _) => AccountState::InCollection,
            (_, S::BadDebt) => AccountState::BadDebt,
            (_, S::EndedOther) => AccountState::Transferred,
            (_, S::Settled) if card => AccountState::Cancelled,
            (_, S::Settled | S::AssetTransfer) => AccountState::Settled,
            (_, S::GuarantorPaid) if balance == 0 => AccountState::Settled,
            _ if status.overdue_periods().is_some() || past_due > 0 || status == S::GuarantorPaid => {
                AccountState::Overdue
            }
            _ => AccountState::Normal,
        }
    }

    /// The name on a report, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            AccountState::Normal => ("正常", "normal"),
            AccountState::Overdue => ("逾期", "overdue"),
            AccountState::BadDebt => ("呆账", "bad debt"),
            AccountState::Transferred => ("转出", "transferred"),
            AccountState::Settled => ("结清", "settled"),
            AccountState::Cancelled => ("销户", "cancelled"),
            AccountState::InCollection => ("催收", "in collection"),
            AccountState::CollectionEnded => ("结束", "collection ended"),
        }
    }
}

code_list! {
    /// Five-level loan classification (五级分类).
    Classification {
        /// Normal (正常).
        Normal = "1",
        /// Special mention (关注).
        SpecialMention = "2",
        /// Substandard (次级).
        Substandard = "3",
        /// Doubtful (可疑).
        Doubtful = "4",
        /// Loss (损失).
        Loss = "5",
        /// Unknown (未知).
        Unknown = "9",
    }
}

impl Classification {
    /// The class's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            Classification::Normal => ("正常", "normal"),
            Classification::SpecialMention => ("关注", "special mention"),
            Classification::Substandard => ("次级", "substandard"),
            Classification::Doubtful => ("可疑", "doubtful"),
            Classification::Loss => ("损失", "loss"),
            Classification::Unknown => ("未知", "unknown"),
        }
    }
}

code_list! {
    /// Query reason (查询原因): the closed list a lender must choose from.
    QueryReason {
        /// 01 post-loan management (贷后管理).
        PostLoan = "01",
        /// 02 loan approval (贷款审批).
        LoanApproval = "02",
        /// 03 credit-card approval (信用卡审批).
        CardApproval = "03",
        /// 08 guarantor check (担保资格审查).
        GuarantorCheck = "08",
        /// 09 judicial investigation.
        Judicial = "09",
        /// 16 housing-fund withdrawal review.
        HousingFund = "16",
        /// 18 index-futures account opening.
        IndexFutures = "18",
        /// 19 merchant real-name check (特约商户实名审查).
        MerchantRealName = "19",
        /// 20 pre-underwriting review.
        PreUnderwriting = "20",
        /// 21 post-underwriting management.
        PostUnderwriting = "21",
        /// 22 check on legal representatives and executives.
        Executives = "22",
        /// 23 customer admission check.
        CustomerAdmission = "23",
        /// 24 financing approval.
        FinancingApproval = "24",
        /// 25 credit-standing check.
        CreditStanding = "25",
        /// 26 limit approval.
        LimitApproval = "26",
        /// The person looking at their own file (本人查询), counted separately.
        SelfQuery = "self",
    }
}

impl QueryReason {
    /// Hard inquiries are the ones lenders notice and later reports count: loan approval, card
    /// approval and guarantor checks.
    pub fn is_hard(self) -> bool {
        matches!(self, QueryReason::LoanApproval | QueryReason::CardApproval | QueryReason::GuarantorCheck)
    }

    /// Inquiries for new credit, refused while the person's file is frozen: loan, card, financing
    /// and limit approvals.
    pub fn is_new_credit(self) -> bool {
        matches!(
            self,
            QueryReason::LoanApproval
                | QueryReason::CardApproval
                | QueryReason::FinancingApproval
                | QueryReason::LimitApproval
        )
    }

    /// Chinese and English name of the reason, for reports.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            QueryReason::PostLoan => ("贷后管理", "post-loan management"),
            QueryReason::LoanApproval => ("贷款审批", "loan approval"),
            QueryReason::CardApproval => ("信用卡审批", "credit-card approval"),
            QueryReason::GuarantorCheck => ("担保资格审查", "guarantor check"),
            QueryReason::Judicial => ("司法调查", "judicial investigation"),
            QueryReason::HousingFund => ("公积金提取复核查询", "housing-fund review"),
            QueryReason::IndexFutures => ("股指期货开户", "index-futures account"),
            QueryReason::MerchantRealName => ("特约商户实名审查", "merchant real-name check"),
            QueryReason::PreUnderwriting => ("保前审查", "pre-underwriting review"),
            QueryReason::PostUnderwriting => ("保后管理", "post-underwriting management"),
            QueryReason::Executives => ("法人代表、负责人、高管等资信审查", "executives check"),
            QueryReason::CustomerAdmission => ("客户准入资格审查", "customer admission check"),
            QueryReason::FinancingApproval => ("融资审批", "financing approval"),
            QueryReason::CreditStanding => ("资信审查", "credit-standing check"),
            QueryReason::LimitApproval => ("额度审批", "limit approval"),
            QueryReason::SelfQuery => ("本人查询", "self-query"),
        }
    }
}

code_list! {
    /// What a consent (授权) allows the organization to do.
    ConsentScope {
        /// The organization may report the person's accounts to the bureau.
        Report = "report",
        /// The organization may obtain the person's report for the consent's purpose.
        Inquire = "inquire",
    }
}

code_list! {
    /// The person's responsibility for an account.
    Responsibility {
        /// Sole borrower.
        Individual = "individual",
        /// Joint borrower.
        Joint = "joint",
        /// Guarantor (相关还款责任).
        Guarantor = "guarantor",
    }
}

code_list! {
    /// How a notice before negative reporting reached the person.
    NoticeChannel {
        /// Text message.
        Sms = "sms",
        /// In-app message.
        App = "app",
        /// E-mail.
        Email = "email",
        /// Letter.
        Letter = "letter",
        /// Telephone call.
        Phone = "phone",
    }
}

code_list! {
    /// Dispute item types (异议事项), after the PBOC list.
    DisputeType {
        /// Not my business (非本人业务).
        NotMine = "not_mine",
        /// Wrong basic information.
        WrongBasicInfo = "wrong_basic_info",
        /// A settled account shows a balance.
        SettledShowsBalance = "settled_shows_balance",
        /// The account is closed.
        AccountClosed = "account_closed",
        /// Wrong repayment status.
        WrongStatus = "wrong_status",
        /// I deny being overdue.
        DenyOverdue = "deny_overdue",
        /// Information is missing.
        MissingInfo = "missing_info",
        /// Information is duplicated.
        Duplicated = "duplicated",
        /// Fraud: opened or used by someone else.
        Fraud = "fraud",
        /// A query I did not authorize (查询记录非本人授权).
        UnauthorizedQuery = "unauthorized_query",
    }
}

code_list! {
    /// The state of a dispute; the latest event gives it.
    DisputeState {
        /// Filed, waiting for the furnisher's answer; the item is marked disputed.
        Open = "open",
        /// The furnisher corrected the data (data wrong, corrected).
        Corrected = "corrected",
        /// The furnisher verified the data as right.
        Verified = "verified",
        /// The furnisher deleted the item.
        Deleted = "deleted",
        /// No answer by the deadline: the item is suppressed from reports.
        Suppressed = "suppressed",
        /// A deleted item came back because the furnisher certified it; the person was told.
        Reinserted = "reinserted",
        /// No answer by the deadline where the policy does not suppress (PRC: 经核查仍不能确认,
        /// 征信业管理条例 art. 25): the result the person is given; the dispute stays recorded
        /// and the item marked, and the furnisher may still answer.
        Unresolved = "unresolved",
    }
}

code_list! {
    /// Personal statement types (本人声明).
    StatementType {
        /// Not my credit business.
        NotMyBusiness = "not_my_business",
        /// The overdue was a card's annual fee.
        AnnualFee = "annual_fee",
        /// The card was lost.
        LostCard = "lost_card",
        /// A third party paid late.
        ThirdPartyLate = "third_party_late",
        /// A government subsidy arrived late.
        SubsidyLate = "subsidy_late",
        /// Anything else the person wants read beside the item.
        Other = "other",
    }
}

code_list! {
    /// The kind of a financial institution (机构类型), the way an institution's copy of a report
    /// names the other lenders it hides (ours: a short list after the PBOC report's).
    InstitutionType {
        /// 11 commercial bank (商业银行).
        CommercialBank = "11",
        /// 12 rural or village bank (农村金融机构).
        RuralBank = "12",
        /// 21 consumer finance company (消费金融公司), Huabei's kind.
        ConsumerFinance = "21",
        /// 22 auto finance company (汽车金融公司).
        AutoFinance = "22",
        /// 31 microlender, online ones included (小额贷款公司).
        Microlender = "31",
        /// 41 financial leasing company (融资租赁公司).
        Leasing = "41",
        /// 51 asset management company, debt buyers (资产管理公司).
        AssetManagement = "51",
        /// 99 other (其他机构).
        Other = "99",
    }
}

impl InstitutionType {
    /// The kind's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            InstitutionType::CommercialBank => ("商业银行", "commercial bank"),
            InstitutionType::RuralBank => ("农村金融机构", "rural bank"),
            InstitutionType::ConsumerFinance => ("消费金融公司", "consumer finance company"),
            InstitutionType::AutoFinance => ("汽车金融公司", "auto finance company"),
            InstitutionType::Microlender => ("小额贷款公司", "microlender"),
            InstitutionType::Leasing => ("融资租赁公司", "leasing company"),
            InstitutionType::AssetManagement => ("资产管理公司", "asset management company"),
            InstitutionType::Other => ("其他机构", "institution"),
        }
    }
}

code_list! {
    /// Flags a person can place on their file.
    FlagKind {
        /// Fraud alert (防欺诈警示), shown in the report header.
        FraudAlert = "fraud_alert",
        /// Security freeze: no new-credit inquiries answered while it holds.
        Freeze = "freeze",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each state from the account type and the latest month's status, past-due and balance.
    #[test]
    fn account_states_follow_the_latest_month() {
        use AccountState as A;
        use AccountType::{C1, D1, R1, R2};
        fn check(t: AccountType, latest: Option<(&str, i64, i64)>, expect: AccountState) {
            let latest = latest.map(|(s, past_due, balance)| (RepaymentStatus::parse(s).unwrap(), past_due, balance));
            assert_eq!(AccountState::derive(t, latest), expect, "{t} {latest:?}");
        }
        check(D1, None, A::Normal);
        check(C1, None, A::InCollection);
        check(R1, Some(("N", 0, 500)), A::Normal);
        check(R1, Some(("*", 0, 0)), A::Normal);
        check(R1, Some(("3", 900, 500)), A::Overdue);
        check(R2, Some(("B", 900, 500)), A::BadDebt);
        check(D1, Some(("G", 0, 0)), A::Transferred);
        check(D1, Some(("C", 0, 0)), A::Settled);
        check(R2, Some(("C", 0, 0)), A::Cancelled);
        check(D1, Some(("Z", 0, 0)), A::Settled);
        check(D1, Some(("D", 0, 0)), A::Settled);
        check(D1, Some(("D", 0, 700)), A::Overdue);
        check(C1, Some(("7", 700, 700)), A::InCollection);
        check(C1, Some(("C", 0, 0)), A::CollectionEnded);
        check(C1, Some(("G", 0, 0)), A::CollectionEnded);
    }

    /// What closes an account agrees with the state a report derives: settled means closed.
    #[test]
    fn a_month_closes_the_account_when_its_state_is_settled_or_ended() {
        use RepaymentStatus as S;
        for s in S::ALL {
            for balance in [0, 700] {
                let state = AccountState::derive(AccountType::D1, Some((*s, 0, balance)));
                let ended = matches!(state, AccountState::Settled | AccountState::Transferred);
                assert_eq!(s.closes_with(balance), ended, "{s} with {balance} owing: {state:?}");
            }
        }
    }

    #[test]
    fn symbols_round_trip() {
        for s in RepaymentStatus::ALL {
            assert_eq!(RepaymentStatus::parse(s.as_str()), Some(*s));
        }
        for r in QueryReason::ALL {
            assert_eq!(QueryReason::parse(r.as_str()), Some(*r));
        }
        assert_eq!(AccountType::parse("R9"), None);
    }

    #[test]
    fn days_past_due_buckets() {
        let cases = [(0, "N"), (1, "1"), (30, "1"), (31, "2"), (90, "3"), (91, "4"), (180, "6"), (181, "7")];
        for (days, sym) in cases {
            assert_eq!(RepaymentStatus::from_days_past_due(days).as_str(), sym, "{days} days");
        }
    }
}

code_list! {
    /// Kind of loan (借贷业务种类细分), so that a mortgage does not read as a consumer loan. The
    /// codes follow the PBOC-style list as vendor implementations show it; the list is not public,
    /// so treat the numbers as ours.
    LoanKind {
        /// 11 housing loan, commercial (个人住房商业贷款).
        Housing = "11",
        /// 12 commercial property loan (个人商用房贷款).
        CommercialProperty = "12",
        /// 13 housing provident fund loan (个人住房公积金贷款).
        HousingFund = "13",
        /// 21 car loan (个人汽车消费贷款).
        Car = "21",
        /// 31 student loan (个人助学贷款).
        Student = "31",
        /// 41 business loan (个人经营性贷款).
        Business = "41",
        /// 51 farmer's loan (农户贷款).
        Farmer = "51",
        /// 91 other consumer loan (其他个人消费贷款), Huabei-style lines among them.
        OtherConsumer = "91",
        /// 99 other loan (其他贷款).
        Other = "99",
    }
}

impl LoanKind {
    /// The kind's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            LoanKind::Housing => ("个人住房商业贷款", "housing loan"),
            LoanKind::CommercialProperty => ("个人商用房贷款", "commercial property loan"),
            LoanKind::HousingFund => ("个人住房公积金贷款", "housing provident fund loan"),
            LoanKind::Car => ("个人汽车消费贷款", "car loan"),
            LoanKind::Student => ("个人助学贷款", "student loan"),
            LoanKind::Business => ("个人经营性贷款", "business loan"),
            LoanKind::Farmer => ("农户贷款", "farmer's loan"),
            LoanKind::OtherConsumer => ("其他个人消费贷款", "other consumer loan"),
            LoanKind::Other => ("其他贷款", "other loan"),
        }
    }
}

code_list! {
    /// Guarantee mode (担保方式).
    GuaranteeMode {
        /// 1 pledge (质押).
        Pledge = "1",
        /// 2 mortgage (抵押).
        Mortgage = "2",
        /// 3 guarantee (保证).
        Guarantee = "3",
        /// 4 credit, no guarantee (信用/免担保).
        Credit = "4",
        /// 5 combined, including a guarantee.
        CombinedWithGuarantee = "5",
        /// 6 combined, without a guarantee.
        CombinedWithoutGuarantee = "6",
        /// 7 joint guarantee of farmers (农户联保).
        FarmersJoint = "7",
        /// 9 other.
        Other = "9",
    }
}

impl GuaranteeMode {
    /// The mode's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            GuaranteeMode::Pledge => ("质押", "pledge"),
            GuaranteeMode::Mortgage => ("抵押", "mortgage"),
            GuaranteeMode::Guarantee => ("保证", "guarantee"),
            GuaranteeMode::Credit => ("信用/免担保", "unsecured"),
            GuaranteeMode::CombinedWithGuarantee => ("组合（含保证）", "combined, with a guarantee"),
            GuaranteeMode::CombinedWithoutGuarantee => ("组合（不含保证）", "combined, without a guarantee"),
            GuaranteeMode::FarmersJoint => ("农户联保", "farmers' joint guarantee"),
            GuaranteeMode::Other => ("其他", "other"),
        }
    }
}

code_list! {
    /// Repayment frequency (还款频率).
    RepayFrequency {
        /// 01 daily.
        Daily = "01",
        /// 02 weekly.
        Weekly = "02",
        /// 03 monthly.
        Monthly = "03",
        /// 04 quarterly.
        Quarterly = "04",
        /// 05 half-yearly.
        HalfYearly = "05",
        /// 06 yearly.
        Yearly = "06",
        /// 07 once (一次性).
        Once = "07",
        /// 08 irregular (不定期), e.g. revolving lines.
        Irregular = "08",
        /// 99 other.
        Other = "99",
    }
}

impl RepayFrequency {
    /// The frequency's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            RepayFrequency::Daily => ("日", "daily"),
            RepayFrequency::Weekly => ("周", "weekly"),
            RepayFrequency::Monthly => ("月", "monthly"),
            RepayFrequency::Quarterly => ("季", "quarterly"),
            RepayFrequency::HalfYearly => ("半年", "half-yearly"),
            RepayFrequency::Yearly => ("年", "yearly"),
            RepayFrequency::Once => ("一次性", "once"),
            RepayFrequency::Irregular => ("不定期", "irregular"),
            RepayFrequency::Other => ("其他", "other"),
        }
    }
}

code_list! {
    /// Repayment method (还款方式). The codes follow the PBOC-style list as vendor implementations
    /// show it (ours: the list is not public).
    RepaymentMethod {
        /// 11 equal instalments of principal and interest (分期等额本息).
        EqualInstalments = "11",
        /// 12 equal instalments of principal (分期等额本金).
        EqualPrincipal = "12",
        /// 13 principal at maturity, interest by instalments (到期一次还本分期结息).
        BulletWithInterest = "13",
        /// 14 principal and interest at maturity (到期一次还本付息).
        Bullet = "14",
        /// 19 other instalments (其他分期还款).
        OtherInstalments = "19",
        /// 21 revolving: minimum payment (循环贷款最低还款).
        Revolving = "21",
        /// 90 not by instalments (不区分还本付息).
        Undivided = "90",
    }
}

impl RepaymentMethod {
    /// The method's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            RepaymentMethod::EqualInstalments => ("分期等额本息", "equal instalments"),
            RepaymentMethod::EqualPrincipal => ("分期等额本金", "equal principal"),
            RepaymentMethod::BulletWithInterest => ("到期一次还本分期结息", "principal at maturity"),
            RepaymentMethod::Bullet => ("到期一次还本付息", "all at maturity"),
            RepaymentMethod::OtherInstalments => ("其他分期还款", "other instalments"),
            RepaymentMethod::Revolving => ("循环贷款最低还款", "revolving"),
            RepaymentMethod::Undivided => ("不区分还本付息", "not by instalments"),
        }
    }
}

code_list! {
    /// A special transaction or event on an account (特殊交易 of segment K; 特殊事件 of record
    /// 215), as the report shows it. Transactions keep the PBOC-style K codes; events are `E` and
    /// the 215 code (ours).
    SpecialKind {
        /// 11 extension (展期).
        Extension = "11",
        /// 12 a guarantor repaid (担保人代还).
        GuarantorRepaid = "12",
        /// 13 repaid by transfer of assets (以资抵债).
        AssetRepaid = "13",
        /// 14 partial early repayment (提前还款（部分）).
        EarlyPartial = "14",
        /// 15 full early repayment (提前还款（全部）).
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
        /// 99 other transaction.
        Other = "99",
        /// E1 event: the borrower died.
        Deceased = "E1",
        /// E2 event: the borrower cannot be reached.
        Untraceable = "E2",
        /// E3 event: the account was transferred to another institution.
        Transferred = "E3",
        /// E9 other event.
        OtherEvent = "E9",
    }
}

impl SpecialKind {
    /// Whether a special event (record 215) rather than a transaction (segment K).
    pub fn is_event(self) -> bool {
        matches!(
            self,
            SpecialKind::Deceased | SpecialKind::Untraceable | SpecialKind::Transferred | SpecialKind::OtherEvent
        )
    }

    /// The kind's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            SpecialKind::Extension => ("展期", "extension"),
            SpecialKind::GuarantorRepaid => ("担保人代还", "repaid by a guarantor"),
            SpecialKind::AssetRepaid => ("以资抵债", "repaid by transfer of assets"),
            SpecialKind::EarlyPartial => ("提前还款（部分）", "partial early repayment"),
            SpecialKind::EarlyFull => ("提前还款（全部）", "full early repayment"),
            SpecialKind::DebtRelief => ("债务减免", "debt relief"),
            SpecialKind::AssetStripping => ("资产剥离", "asset stripping"),
            SpecialKind::AssetTransfer => ("资产转让", "asset transfer"),
            SpecialKind::CardInstalment => ("信用卡个性化分期", "card instalments"),
            SpecialKind::LenderDeferral => ("银行主动延期", "deferral by the lender"),
            SpecialKind::ForcedLiquidation => ("强制平仓", "forced liquidation"),
            SpecialKind::Other => ("其他", "other transaction"),
            SpecialKind::Deceased => ("借款人死亡", "the borrower died"),
            SpecialKind::Untraceable => ("借款人失联", "the borrower cannot be reached"),
            SpecialKind::Transferred => ("账户转移", "transferred to another institution"),
            SpecialKind::OtherEvent => ("其他特殊事件", "other event"),
        }
    }
}

code_list! {
    /// Kind of a credit agreement (授信额度类型, PBOC-style record 220).
    AgreementKind {
        /// 10 revolving loan limit (循环贷授信额度): a Huabei-style line.
        RevolvingLoan = "10",
        /// 20 non-revolving loan limit (非循环贷授信额度).
        NonRevolvingLoan = "20",
        /// 30 credit card limit shared across cards (信用卡共享授信额度).
        CardShared = "30",
        /// 31 credit card limit of its own (信用卡独立授信额度).
        CardOwn = "31",
    }
}

impl AgreementKind {
    /// The kind's name, in Chinese and English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            AgreementKind::RevolvingLoan => ("循环贷授信额度", "revolving loan limit"),
            AgreementKind::NonRevolvingLoan => ("非循环贷授信额度", "non-revolving loan limit"),
            AgreementKind::CardShared => ("信用卡共享授信额度", "shared card limit"),
            AgreementKind::CardOwn => ("信用卡独立授信额度", "card limit"),
        }
    }
}
