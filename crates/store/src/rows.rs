//! The rows the store keeps. Amounts are minor units; times are unix seconds UTC.

use ob_model::{
    AccountType, Classification, ConsentScope, Currency, DocumentType, QueryReason, RepaymentStatus, Responsibility,
    YearMonth,
};
use time::Date;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);
    };
}

id_type!(
    /// An organization's internal id.
    OrgId
);
id_type!(
    /// A subject's (person's) internal id; never shown outside the bureau.
    SubjectId
);
id_type!(
    /// An account's internal id.
    AccountId
);
id_type!(
    /// A consent's internal id.
    ConsentId
);
id_type!(
    /// A batch's id, shown to the furnisher.
    BatchId
);
id_type!(
    /// An inquiry's id.
    InquiryId
);
id_type!(
    /// A dispute's id, shown to the person and the furnisher.
    DisputeId
);
id_type!(
    /// A statement's id.
    StatementId
);
id_type!(
    /// A flag's id.
    FlagId
);
id_type!(
    /// A correction notice's id, shown to the organization told (its queue's cursor).
    CorrectionNoticeId
);

/// An organization: furnisher, lender, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgRow {
    /// Internal id.
    pub id: OrgId,
    /// Public code, e.g. `HUABEI`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Its kind (机构类型), once an operator has set it.
    pub org_type: Option<ob_model::InstitutionType>,
}

/// A person's file header. Name only encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectRow {
    /// Internal id.
    pub id: SubjectId,
    /// AEAD ciphertext of the name (nonce first).
    pub name_enc: Vec<u8>,
    /// Keyed hash of the normalized name, to compare without decrypting.
    pub name_mac: [u8; 32],
    /// Birth date.
    pub birth_date: Date,
}

/// A new subject.
#[derive(Clone, Debug)]
pub struct NewSubject {
    /// AEAD ciphertext of the name.
    pub name_enc: Vec<u8>,
    /// Keyed hash of the normalized name.
    pub name_mac: [u8; 32],
    /// Birth date.
    pub birth_date: Date,
    /// When the file was created.
    pub created_at: i64,
}

/// An identity document of a subject. Number only encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRow {
    /// Keyed hash of type and number: the look-up key.
    pub number_mac: [u8; 32],
    /// Whose document.
    pub subject_id: SubjectId,
    /// Document type.
    pub doc_type: DocumentType,
    /// AEAD ciphertext of the number.
    pub number_enc: Vec<u8>,
}

/// A stored consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRow {
    /// Internal id.
    pub id: ConsentId,
    /// The fields as recorded.
    pub consent: NewConsent,
}

/// A consent to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConsent {
    /// The person.
    pub subject_id: SubjectId,
    /// The authorized organization.
    pub org_id: OrgId,
    /// Report or inquire.
    pub scope: ConsentScope,
    /// For inquiries, the purpose.
    pub purpose: Option<QueryReason>,
    /// First day in force.
    pub granted_on: Date,
    /// Last day in force.
    pub expires_on: Date,
    /// Day revoked, if it was.
    pub revoked_on: Option<Date>,
    /// Digest of the signed form.
    pub evidence_sha256: [u8; 32],
    /// The organization's reference.
    pub consent_ref: Option<String>,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
}

impl NewConsent {
    /// Whether the consent is in force on `day`.
    pub fn active_on(&self, day: Date) -> bool {
        self.granted_on <= day && day <= self.expires_on && self.revoked_on.is_none_or(|r| day < r)
    }
}

/// An account's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    /// Internal id.
    pub id: AccountId,
    /// The furnisher that owns it.
    pub org_id: OrgId,
    /// The furnisher's key.
    pub account_key: String,
    /// The person.
    pub subject_id: SubjectId,
}

/// One version of an account's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountVersionRow {
    /// The account.
    pub account_id: AccountId,
    /// 1, 2, … in order recorded.
    pub version: u32,
    /// The person (distribution key).
    pub subject_id: SubjectId,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
    /// Account type.
    pub account_type: AccountType,
    /// Opening date.
    pub opened_on: Date,
    /// Currency.
    pub currency: Currency,
    /// Credit limit or loan amount.
    pub credit_limit_minor: i64,
    /// Instalments.
    pub periods: Option<u16>,
    /// Due day.
    pub due_day: Option<u8>,
    /// Responsibility.
    pub responsibility: Responsibility,
    /// For R4 sub-accounts, the revolving line's account.
    pub credit_line_id: Option<AccountId>,
    /// Whether this version deletes the account.
    pub deleted: bool,
    /// The contract's other terms, as reported (stored in one column, see [`crate::detail`]).
    pub contract: ob_model::records::ContractTerms,
}

/// An account read ahead by ingest: its identity, latest terms and newest stored month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountAhead {
    /// The account.
    pub account: AccountRow,
    /// Its latest terms.
    pub terms: AccountVersionRow,
    /// The newest month with any stored version; `None` when no month is stored.
    pub newest_month: Option<YearMonth>,
}

/// One version of one month of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthRow {
    /// The account.
    pub account_id: AccountId,
    /// The month.
    pub month: YearMonth,
    /// 1 for the first report of this month, then one more per correction.
    pub version: u32,
    /// The person (distribution key).
    pub subject_id: SubjectId,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
    /// Settlement date.
    pub settled_on: Date,
    /// Balance.
    pub balance_minor: i64,
    /// Used amount.
    pub used_minor: i64,
    /// Amount due.
    pub due_minor: i64,
    /// Amount paid.
    pub paid_minor: i64,
    /// Amount past due.
    pub past_due_minor: i64,
    /// Days past due.
    pub days_past_due: u32,
    /// Status symbol.
    pub status: RepaymentStatus,
    /// Five-level classification.
    pub class5: Option<Classification>,
    /// Last payment date.
    pub last_payment_on: Option<Date>,
    /// Closing date.
    pub closed_on: Option<Date>,
    /// Credit limit in force this month, when reported.
    pub credit_limit_minor: Option<i64>,
    /// Whether this version deletes the month.
    pub deleted: bool,
    /// What the month's report says beyond these (stored in one column, see [`crate::detail`]).
    pub detail: ob_model::records::MonthDetail,
}

/// One version of a credit agreement (授信协议).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementRow {
    /// The furnisher.
    pub org_id: OrgId,
    /// The furnisher's key.
    pub agreement_key: String,
    /// 1, 2, … in order recorded.
    pub version: u32,
    /// The person (distribution key).
    pub subject_id: SubjectId,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
    /// What the limit is for.
    pub kind: ob_model::AgreementKind,
    /// Currency.
    pub currency: Currency,
    /// The limit, minor units.
    pub limit_minor: i64,
    /// First day in force.
    pub effective_on: Date,
    /// Last day in force.
    pub expires_on: Option<Date>,
    /// Whether it has ended.
    pub ended: bool,
    /// The person's responsibility.
    pub responsibility: Responsibility,
}

/// A special transaction or event on an account (特殊交易/特殊事件).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialRow {
    /// The account.
    pub account_id: AccountId,
    /// 1, 2, … within the account, in order recorded: how a dispute names it. Given by the store
    /// on insert (the value passed there is ignored).
    pub seq: u32,
    /// The person (distribution key).
    pub subject_id: SubjectId,
    /// What happened.
    pub kind: ob_model::SpecialKind,
    /// The day.
    pub on: Date,
    /// Amount involved, minor units.
    pub amount_minor: Option<i64>,
    /// Months the maturity moved.
    pub months_changed: Option<u16>,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
}

/// A notice given before negative reporting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRow {
    /// The account; `None` when the notice came before the account was first reported.
    pub account_id: Option<AccountId>,
    /// The person (distribution key), when the account is known.
    pub subject_id: Option<SubjectId>,
    /// The furnisher.
    pub org_id: OrgId,
    /// The furnisher's account key.
    pub account_key: String,
    /// Day given.
    pub notified_on: Date,
    /// Channel.
    pub channel: ob_model::NoticeChannel,
    /// The batch it came in.
    pub batch_id: Option<BatchId>,
    /// When recorded.
    pub recorded_at: i64,
}

/// A batch (one furnisher file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    /// Id.
    pub id: BatchId,
    /// The furnisher.
    pub org_id: OrgId,
    /// When received.
    pub received_at: i64,
    /// Records read.
    pub records: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Format name, as given when the batch was opened.
    pub format: String,
}

/// A batch to open.
#[derive(Clone, Debug)]
pub struct NewBatch {
    /// The furnisher.
    pub org_id: OrgId,
    /// SHA-256 of the file's bytes.
    pub file_sha256: [u8; 32],
    /// Format name.
    pub format: String,
    /// When received.
    pub received_at: i64,
}

/// A stored inquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InquiryRow {
    /// Id.
    pub id: InquiryId,
    /// The fields.
    pub inquiry: NewInquiry,
}

/// An inquiry to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInquiry {
    /// Whose file.
    pub subject_id: SubjectId,
    /// Who looked; `None` for the person.
    pub org_id: Option<OrgId>,
    /// Why.
    pub reason: QueryReason,
    /// The consent relied on.
    pub consent_id: Option<ConsentId>,
    /// When.
    pub at: i64,
    /// Whether it counts as a hard inquiry.
    pub hard: bool,
}

/// An audit event, a link of the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Sequence number, from 1.
    pub seq: u64,
    /// The chain it belongs to (see `ob_bureau::audit`); 0 on a store with one chain.
    pub chain: u32,
    /// When.
    pub at: i64,
    /// Event kind, e.g. `batch.ingested`, `report.produced`.
    pub kind: String,
    /// The person concerned, if any.
    pub subject_id: Option<SubjectId>,
    /// The organization concerned, if any.
    pub org_id: Option<OrgId>,
    /// Details as JSON; never a name or document number.
    pub detail: String,
    /// Hash of the previous event (zeros for the first).
    pub prev_hash: [u8; 32],
    /// Hash of this event.
    pub hash: [u8; 32],
}

/// Row counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Organizations.
    pub organizations: u64,
    /// Subjects.
    pub subjects: u64,
    /// Accounts.
    pub accounts: u64,
    /// Account-month versions.
    pub account_months: u64,
    /// Consents.
    pub consents: u64,
    /// Batches.
    pub batches: u64,
    /// Inquiries.
    pub inquiries: u64,
    /// Audit events.
    pub audit_events: u64,
}

/// What a dispute is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisputeItem {
    /// A whole account.
    Account(AccountId),
    /// One month of an account.
    Month(AccountId, YearMonth),
    /// An inquiry ("I did not authorize this").
    Inquiry(InquiryId),
    /// The identity section (answered by the bureau).
    Identity,
    /// One special transaction or event of an account: the account and the special's `seq`.
    Special(AccountId, u32),
    /// A credit agreement: its furnisher and the furnisher's key.
    Agreement(OrgId, String),
}

/// A dispute item as the `disputes` table stores it: a kind and the columns that name the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeColumns<'a> {
    /// `account`, `month`, `inquiry`, `identity`, `special` or `agreement`.
    pub kind: &'a str,
    /// The account (account, month, special).
    pub account_id: Option<i64>,
    /// The month (month).
    pub month: Option<YearMonth>,
    /// The inquiry (inquiry).
    pub inquiry_id: Option<i64>,
    /// The special's number within its account (special).
    pub item_seq: Option<u32>,
    /// The agreement's key (agreement; its furnisher is the dispute's `org_id`).
    pub item_key: Option<&'a str>,
}

impl DisputeItem {
    /// The columns that store this item.
    pub fn columns(&self) -> DisputeColumns<'_> {
        let mut c = DisputeColumns {
            kind: "",
            account_id: None,
            month: None,
            inquiry_id: None,
            item_seq: None,
            item_key: None,
        };
        c.kind = match self {
            DisputeItem::Account(a) => {
                c.account_id = Some(a.0);
                "account"
            }
            DisputeItem::Month(a, m) => {
                (c.account_id, c.month) = (Some(a.0), Some(*m));
                "month"
            }
            DisputeItem::Inquiry(q) => {
                c.inquiry_id = Some(q.0);
                "inquiry"
            }
            DisputeItem::Identity => "identity",
            DisputeItem::Special(a, seq) => {
                (c.account_id, c.item_seq) = (Some(a.0), Some(*seq));
                "special"
            }
            DisputeItem::Agreement(_, key) => {
                c.item_key = Some(key);
                "agreement"
            }
        };
        c
    }

    /// The item stored in `c`, with `org` the dispute's answerer; `None` when the columns do not
    /// name one (a corrupt row).
    pub fn from_columns(c: &DisputeColumns<'_>, org: Option<OrgId>) -> Option<DisputeItem> {
        Some(match (c.kind, c.account_id.map(AccountId)) {
            ("account", Some(a)) => DisputeItem::Account(a),
            ("month", Some(a)) => DisputeItem::Month(a, c.month?),
            ("inquiry", _) => DisputeItem::Inquiry(InquiryId(c.inquiry_id?)),
            ("identity", _) => DisputeItem::Identity,
            ("special", Some(a)) => DisputeItem::Special(a, c.item_seq?),
            ("agreement", _) => DisputeItem::Agreement(org?, c.item_key?.to_owned()),
            _ => return None,
        })
    }
}

/// A dispute to file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDispute {
    /// Whose file.
    pub subject_id: SubjectId,
    /// The item.
    pub item: DisputeItem,
    /// Who must answer: the account's furnisher, the inquirer; `None` for the bureau.
    pub org_id: Option<OrgId>,
    /// Type from the PBOC-style list.
    pub dispute_type: ob_model::DisputeType,
    /// When filed.
    pub filed_at: i64,
    /// The answer deadline.
    pub due_on: Date,
}

/// A stored dispute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeRow {
    /// Id.
    pub id: DisputeId,
    /// Fields.
    pub dispute: NewDispute,
}

/// A step of a dispute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeEventRow {
    /// The dispute.
    pub dispute_id: DisputeId,
    /// Whose file.
    pub subject_id: SubjectId,
    /// When.
    pub at: i64,
    /// The state from then on.
    pub state: ob_model::DisputeState,
    /// A note for the person (never an ID number).
    pub note: Option<String>,
}

/// A personal statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    /// Id (0 before insertion).
    pub id: StatementId,
    /// Whose file.
    pub subject_id: SubjectId,
    /// The account it is beside.
    pub account_id: AccountId,
    /// The month, or `None` for the whole account.
    pub month: Option<YearMonth>,
    /// Type.
    pub statement_type: ob_model::StatementType,
    /// AEAD ciphertext of the text.
    pub text_enc: Vec<u8>,
    /// When added.
    pub added_at: i64,
    /// When withdrawn.
    pub withdrawn_at: Option<i64>,
}

/// A notice, made at the person's request, to an organization that received a report holding an
/// item the person disputed (FCRA §611(d)): what became of the dispute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectionNoticeRow {
    /// Id (0 before insertion).
    pub id: CorrectionNoticeId,
    /// Whose file.
    pub subject_id: SubjectId,
    /// The dispute.
    pub dispute_id: DisputeId,
    /// The organization told.
    pub org_id: OrgId,
    /// The newest report it received that held the item (its inquiry).
    pub inquiry_id: InquiryId,
    /// The dispute's state it is told of.
    pub state: ob_model::DisputeState,
    /// When made.
    pub created_at: i64,
}

/// A fraud alert or freeze.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagRow {
    /// Id (0 before insertion).
    pub id: FlagId,
    /// Whose file.
    pub subject_id: SubjectId,
    /// Which flag.
    pub kind: ob_model::FlagKind,
    /// When placed.
    pub placed_at: i64,
    /// Last day in force, if it expires.
    pub expires_on: Option<Date>,
    /// When lifted.
    pub lifted_at: Option<i64>,
}

impl FlagRow {
    /// Whether the flag holds at `at` (unix seconds).
    pub fn holds_at(&self, at: i64, day: Date) -> bool {
        self.placed_at <= at && self.lifted_at.is_none_or(|l| at < l) && self.expires_on.is_none_or(|e| day <= e)
    }
}

/// A signed checkpoint of the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointRow {
    /// The event signed.
    pub seq: u64,
    /// When signed.
    pub at: i64,
    /// The event's hash.
    pub hash: [u8; 32],
    /// Ed25519 public key.
    pub public_key: [u8; 32],
    /// Ed25519 signature over the checkpoint message.
    pub signature: Vec<u8>,
}

/// A bureau score model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreModelRow {
    /// Version, from 1 (ignored on insert).
    pub version: u32,
    /// When built.
    pub built_at: i64,
    /// The day its features were taken as of.
    pub as_of: Date,
    /// The model, as ob-score's JSON.
    pub model_json: String,
    /// The population's score percentiles at build time, as a JSON array of 99 integers.
    pub percentiles_json: String,
}

/// An API key, kept only as the SHA-256 of the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// SHA-256 of the key's text.
    pub key_sha256: [u8; 32],
    /// The organization; `None` for an operator's (admin) key.
    pub org_id: Option<OrgId>,
    /// What the key is for, for people reading a list of keys.
    pub label: String,
    /// When created, unix seconds.
    pub created_at: i64,
    /// When revoked, unix seconds.
    pub revoked_at: Option<i64>,
}

/// A person's web sign-in: the argon2id hash of their password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonLoginRow {
    /// Whose.
    pub subject_id: SubjectId,
    /// The password hash, in the PHC string format.
    pub password_phc: String,
    /// When created, unix seconds.
    pub created_at: i64,
    /// When last changed, unix seconds.
    pub updated_at: i64,
}

/// A batch's feedback file, encrypted: it quotes rejected records as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchFeedbackRow {
    /// The batch.
    pub batch_id: BatchId,
    /// Its media type, e.g. `application/x-ndjson`.
    pub media_type: String,
    /// The file's bytes, encrypted by the bureau.
    pub body_enc: Vec<u8>,
}

/// A person's web session (schema version 7 / PostgreSQL 4): kept in the store so that a restart
/// signs no one out. The browser's token is never stored, only its SHA-256; the document signed
/// in with is encrypted like every document number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSessionRow {
    /// SHA-256 of the session token the cookie carries.
    pub token_sha256: [u8; 32],
    /// Whose file the session opens.
    pub subject_id: SubjectId,
    /// Type of the document signed in with.
    pub doc_type: DocumentType,
    /// The document number, encrypted (context `document:<type>`).
    pub number_enc: Vec<u8>,
    /// When opened, unix seconds.
    pub created_at: i64,
    /// The self-view the report page last showed in this session.
    pub shown_inquiry: Option<InquiryId>,
}

/// A table holding sealed (encrypted) values, walked by a key rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedTable {
    /// `subjects.name_enc`, with the name's blind index.
    Subjects,
    /// `documents.number_enc`, with the number's blind index (the table's key).
    Documents,
    /// `statements.text_enc`.
    Statements,
    /// `batch_feedback.body_enc`.
    BatchFeedback,
    /// `web_sessions.number_enc`.
    WebSessions,
}

impl SealedTable {
    /// Every table with sealed values.
    pub const ALL: [SealedTable; 5] = [
        SealedTable::Subjects,
        SealedTable::Documents,
        SealedTable::Statements,
        SealedTable::BatchFeedback,
        SealedTable::WebSessions,
    ];
}

/// The key of a row holding a sealed value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SealedKey {
    /// An integer id (subjects, statements, batch feedback).
    Id(i64),
    /// A digest (documents by blind index, web sessions by token digest).
    Digest([u8; 32]),
}

/// Never shows a digest: a document's blind index and a session token's digest are on the list of
/// what is never printed or logged (ARCHITECTURE.md), and errors naming a row print its key.
impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealedKey::Id(id) => write!(f, "Id({id})"),
            SealedKey::Digest(_) => f.write_str("Digest(not shown)"),
        }
    }
}

/// One sealed value and the key of its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedRow {
    /// The row's key.
    pub key: SealedKey,
    /// For documents and web sessions: the document's type (part of the encryption context).
    pub doc_type: Option<DocumentType>,
    /// The ciphertext; its first byte is the key version that sealed it.
    pub sealed: Vec<u8>,
}
