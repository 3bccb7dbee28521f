//! Why the bureau refuses a request: one [`Refusal`] per condition, each with its stable code, its
//! [`RefusalKind`] (which the HTTP API turns into a status and the CLI into an exit code) and a
//! general sentence in Chinese and English. The specific detail of one refusal (which code was
//! given, which limit was passed) travels beside it, in [`crate::BureauError::Refused`]'s `detail`.
//!
//! Refusals are of a request, not of a record: a rejected record of a batch goes to the feedback
//! file with its own code (`ob_model::Code`).

/// What kind of refusal this is: the request's fault, a missing thing, the state of a thing, or
/// a rule of who may do what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// The request is malformed or asks for something no state would allow (HTTP 400).
    Invalid,
    /// The request names something that does not exist (HTTP 404).
    NotFound,
    /// The thing named is not in a state that allows this now (HTTP 409).
    Conflict,
    /// The requester may not do this: consent, freeze, policy, ownership (HTTP 403).
    Forbidden,
}

/// Declares [`Refusal`] from one table, so that [`Refusal::ALL`] and every accessor cover
/// every variant by construction.
macro_rules! refusals {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $code:literal, $kind:ident, $zh:literal, $en:literal;
    )*) => {
        /// Why the bureau refuses a request. The code is stable: clients and scripts match on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Refusal {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Refusal {
            /// Every refusal, in declaration order.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$variant),*];

            /// The stable code, e.g. `NO_CONSENT`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $code,)*
                }
            }

            /// What kind of refusal it is.
            pub const fn kind(self) -> RefusalKind {
                match self {
                    $(Refusal::$variant => RefusalKind::$kind,)*
                }
            }

            /// A general sentence in Chinese.
            pub const fn message_zh(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $zh,)*
                }
            }

            /// A general sentence in English.
            pub const fn message_en(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $en,)*
                }
            }
        }
    };
}

refusals! {
    // Furnisher files.
    /// The file cannot be read as a furnisher file (its header, its structure, a count).
    FileInvalid = "FILE_INVALID", Invalid,
        "文件无法按数据报送格式读取", "the file is not a readable furnisher file";
    /// The file names another furnisher than the one uploading it.
    FurnisherMismatch = "FURNISHER_MISMATCH", Forbidden,
        "文件中的数据提供机构不是上传者", "the file names another furnisher than the uploader";
    /// The furnisher the file names is not registered (and may not be registered by this upload).
    UnknownFurnisher = "UNKNOWN_FURNISHER", Forbidden,
        "文件中的数据提供机构未登记", "the furnisher named in the file is not registered";

    // Reports.
    /// No consent from the person for this organization and purpose is in force.
    NoConsent = "NO_CONSENT", Forbidden,
        "没有本人对该机构、该用途的有效授权", "no consent from the person for this organization and purpose is in force";
    /// No organization has the code given.
    UnknownOrganization = "UNKNOWN_ORGANIZATION", NotFound,
        "没有该代码的机构", "no organization has this code";
    /// Post-loan management is asked for a person with no open account at the organization.
    NoOpenAccount = "NO_OPEN_ACCOUNT", Forbidden,
        "贷后管理查询仅限在本机构有未结清账户的本人", "post-loan management is only for a person with an open account at this organization";
    /// The person has frozen their file against inquiries for new credit.
    Frozen = "FROZEN", Forbidden,
        "本人已冻结信用档案，不为新的授信提供报告", "the person has frozen their file: no report is given for new credit";

    // The person's rights.
    /// No such item (account, statement, consent, inquiry) on the person's file.
    UnknownItem = "UNKNOWN_ITEM", NotFound,
        "您的档案中没有该项目", "no such item on this file";
    /// No such dispute for this answerer.
    UnknownDispute = "UNKNOWN_DISPUTE", NotFound,
        "没有该异议", "no such dispute for this answerer";
    /// The dispute has already been answered.
    DisputeClosed = "DISPUTE_CLOSED", Conflict,
        "该异议已经答复", "this dispute has already been answered";
    /// The item already has a dispute waiting for its answer: it is marked, and the furnisher
    /// answers that one.
    DisputeOpen = "DISPUTE_OPEN", Conflict,
        "该项目已有待答复的异议", "this item already has a dispute waiting for its answer";
    /// Only an item deleted after a dispute can be reinserted.
    DisputeNotDeleted = "DISPUTE_NOT_DELETED", Conflict,
        "只有因异议删除的项目才能恢复", "only an item deleted after a dispute can be reinserted";
    /// A dispute is answered "corrected" before the corrected record is on file.
    NoCorrection = "NO_CORRECTION", Forbidden,
        "答复“已更正”之前须先报送更正后的记录", "send the corrected record before answering \"corrected\"";
    /// Identity items are corrected, never deleted.
    NotDeletable = "NOT_DELETABLE", Forbidden,
        "身份信息只能更正，不能删除", "identity items are corrected, not deleted";
    /// A statement is asked beside information that is not negative.
    NotNegative = "NOT_NEGATIVE", Forbidden,
        "本人声明只能添加在负面信息旁", "a statement goes beside negative information only";
    /// The statement is empty.
    StatementEmpty = "STATEMENT_EMPTY", Invalid,
        "声明内容为空", "the statement is empty";
    /// The statement has too many words or characters.
    StatementTooLong = "STATEMENT_TOO_LONG", Invalid,
        "声明内容过长", "the statement is too long";
    /// No such flag (fraud alert, freeze) is on the file.
    NotPlaced = "NOT_PLACED", Conflict,
        "档案中没有该标记", "no such flag is on this file";
    /// The consent is already revoked.
    AlreadyRevoked = "ALREADY_REVOKED", Conflict,
        "该授权已撤销", "this consent is already revoked";

    // Who may reach the bureau.
    /// The password breaks the rules (length), or a stored password hash is unreadable.
    PasswordInvalid = "PASSWORD_INVALID", Invalid,
        "密码不符合要求", "the password does not meet the rules";
    /// An organization's code, name or roles break the rules.
    OrgInvalid = "ORG_INVALID", Invalid,
        "机构代码、名称或角色无效", "an organization has a code, a name, and is a furnisher, a lender or both";
    /// A key is asked for an organization that has no role yet.
    OrgNoRole = "ORG_NO_ROLE", Conflict,
        "该机构尚无角色，请先设置角色", "the organization has no role yet: give it one first";

    // The bureau score and reports "as of" a day.
    /// The day asked for is in the future.
    FutureDate = "FUTURE_DATE", Invalid,
        "日期不能在未来", "the date is in the future";
    /// An authorization that would expire before it is recorded.
    ExpiryPassed = "EXPIRY_PASSED", Invalid,
        "授权到期日已过", "the authorization's expiry date has passed";
    /// A report "as of" a day before the person was born.
    AsOfBeforeBirth = "AS_OF_BEFORE_BIRTH", Invalid,
        "报告日期早于本人出生日期", "the report date is before the person was born";
    /// An organization asks for its copy "as of" an earlier day. A lender's copy is the file as
    /// it stands: an item deleted or suppressed since that day (found inaccurate, or not verified
    /// in time) must not be furnished again (FCRA §611(a)(5)(A); 征信业管理条例 art. 25). Only
    /// the person may read their file as it stood.
    AsOfOwnCopy = "AS_OF_OWN_COPY", Forbidden,
        "机构查询只提供当前信用报告，历史日期的报告仅限本人查询", "an organization's copy is the file as it stands today: only the person may ask for an earlier day";
    /// Too few good and bad outcomes on file to train a score.
    TooFewOutcomes = "TOO_FEW_OUTCOMES", Conflict,
        "档案中的好坏结果太少，无法训练评分", "too few outcomes on file to train a score";
}

impl Refusal {
    /// The refusal with this code.
    pub fn from_code(code: &str) -> Option<Refusal> {
        Refusal::ALL.iter().copied().find(|r| r.code() == code)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// An exhaustive match (no `_` arm): a new variant does not compile until it is given its
    /// kind here too, a second look at the kind the table gives it.
    fn reviewed_kind(r: Refusal) -> RefusalKind {
        use Refusal::*;
        use RefusalKind::*;
        match r {
            FileInvalid | StatementEmpty | StatementTooLong | PasswordInvalid | OrgInvalid | FutureDate
            | AsOfBeforeBirth | ExpiryPassed => Invalid,
            UnknownOrganization | UnknownItem | UnknownDispute => NotFound,
            DisputeClosed | DisputeOpen | DisputeNotDeleted | NotPlaced | AlreadyRevoked | OrgNoRole
            | TooFewOutcomes => Conflict,
            FurnisherMismatch | UnknownFurnisher | NoConsent | NoOpenAccount | Frozen | NoCorrection | NotDeletable
            | NotNegative | AsOfOwnCopy => Forbidden,
        }
    }

    #[test]
    fn all_holds_every_variant_once_in_order() {
        // `ALL` is made from the same table as the enum; its order is the declaration order, so
        // each variant's discriminant is its place, and none is missing before the last.
        for (i, r) in Refusal::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{r:?}");
            assert_eq!(r.kind(), reviewed_kind(*r), "{r:?}");
        }
        let set: HashSet<Refusal> = Refusal::ALL.iter().copied().collect();
        assert_eq!(set.len(), Refusal::ALL.len());
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in Refusal::ALL {
            let code = r.code();
            assert!(seen.insert(code), "{code} twice");
            assert!(
                !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            assert_eq!(Refusal::from_code(code), Some(*r));
            assert_eq!(r.to_string(), code);
        }
        assert_eq!(Refusal::from_code("UNKNOWN_ORG"), None, "merged into UNKNOWN_ORGANIZATION");
    }

    #[test]
    fn every_refusal_has_both_messages() {
        for r in Refusal::ALL {
            let (zh, en) = (r.message_zh(), r.message_en());
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{r:?}: {zh}");
            assert!(en.is_ascii() && en.starts_with(|c: char| c.is_ascii_lowercase()), "{r:?}: {en}");
            assert!(!en.ends_with('.') && !zh.ends_with('。'), "{r:?}: sentences without a full stop");
        }
    }
}
