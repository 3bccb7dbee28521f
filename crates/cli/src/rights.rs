//! The person's rights and the furnisher's duties on the command line: disputes, statements,
//! consents, fraud alerts and freezes, retention.

use crate::commands::classify;
use crate::list::{self, FormatArg, cell};
use crate::open::{Context, system_clock};
use crate::{Failure, usage};
use clap::{Args, Subcommand, ValueEnum};
use ob_bureau::recipients::{CorrectionNotice, RecipientNotice};
use ob_bureau::rights::{Answer, DisputeTarget, DisputeView};
use ob_model::{DisputeType, DocumentNumber, DocumentType, FlagKind, QueryReason, StatementType, YearMonth};
use ob_store::{DisputeId, StatementId};

/// Whose file: the person's document.
#[derive(Args)]
pub struct Person {
    /// Document type.
    #[arg(long, default_value = "prc_resident_id", value_parser = crate::args::doc_type)]
    pub doc_type: DocumentType,
    /// Document number.
    #[arg(long)]
    pub doc_number: String,
}

impl Person {
    fn document(&self) -> Result<DocumentNumber, Failure> {
        crate::args::document(self.doc_type, &self.doc_number)
    }
}

fn parse_code<T>(parse: fn(&str) -> Option<T>, all: &[T], s: &str) -> Result<T, String>
where
    T: std::fmt::Display,
{
    parse(s).ok_or_else(|| format!("one of {}", all.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")))
}

fn parse_dispute_type(s: &str) -> Result<DisputeType, String> {
    parse_code(DisputeType::parse, DisputeType::ALL, s)
}

fn parse_statement_type(s: &str) -> Result<StatementType, String> {
    parse_code(StatementType::parse, StatementType::ALL, s)
}

/// `openbureau dispute`.
#[derive(Subcommand)]
pub enum DisputeCommand {
    /// File a dispute on an item of your own file (the item is marked at once).
    File {
        #[command(flatten)]
        person: Person,
        /// The account, by the reference your report shows (e.g. A12).
        #[arg(long, conflicts_with_all = ["inquiry", "identity"])]
        account: Option<String>,
        /// With --account: one month of it (YYYY-MM).
        #[arg(long, requires = "account", value_parser = crate::args::month)]
        month: Option<YearMonth>,
        /// An inquiry, by the reference your report shows (e.g. Q7).
        #[arg(long)]
        inquiry: Option<String>,
        /// The identity section.
        #[arg(long)]
        identity: bool,
        /// A special transaction or event, by the reference your report shows (e.g. A12.S2).
        #[arg(long, conflicts_with_all = ["account", "inquiry", "identity", "agreement"])]
        special: Option<String>,
        /// A credit agreement, by the reference your report shows (e.g. G3f9c0a12b7d4).
        #[arg(long, conflicts_with_all = ["account", "inquiry", "identity"])]
        agreement: Option<String>,
        /// Dispute type: not_mine, wrong_basic_info, settled_shows_balance, account_closed,
        /// wrong_status, deny_overdue, missing_info, duplicated, fraud, unauthorized_query.
        #[arg(long = "type", value_parser = parse_dispute_type)]
        kind: DisputeType,
    },
    /// Your disputes and every step of them (the steps in `--format json`).
    List {
        #[command(flatten)]
        person: Person,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A furnisher's queue of disputes to answer.
    Queue {
        /// The furnisher's code.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Answer a dispute (as the furnisher; without --org, as the bureau for identity items).
    Answer {
        /// The answering organization.
        #[arg(long)]
        org: Option<String>,
        /// Dispute id.
        #[arg(long)]
        id: i64,
        /// The outcome.
        #[arg(long, value_enum)]
        outcome: Outcome,
        /// A note the person will read.
        #[arg(long)]
        note: Option<String>,
    },
    /// Tell the organizations that had a report holding the disputed item in the last six months
    /// what became of the dispute (FCRA §611(d)); each is told once per outcome.
    Tell {
        #[command(flatten)]
        person: Person,
        /// Dispute id.
        #[arg(long)]
        id: i64,
        /// Only these reports, by the references your report shows (e.g. Q7); repeat for more.
        #[arg(long = "inquiry")]
        inquiries: Vec<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The notices sent at your request.
    Notices {
        #[command(flatten)]
        person: Person,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The notices an organization was sent, oldest first, the items named as its copies
    /// named them.
    NoticeQueue {
        /// The organization's code.
        #[arg(long)]
        org: String,
        /// The last notice already read.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Certify a deleted item as accurate so it may be reported again (the person is told).
    Certify {
        /// The furnisher's code.
        #[arg(long)]
        org: String,
        /// Dispute id.
        #[arg(long)]
        id: i64,
        /// Why it is accurate; the person reads it.
        #[arg(long)]
        note: String,
    },
}

/// A dispute's outcome.
#[derive(Clone, Copy, ValueEnum)]
pub enum Outcome {
    /// Data wrong, corrected record sent.
    Corrected,
    /// Data right.
    Verified,
    /// Item deleted.
    Deleted,
}

/// A person's disputes, or (`furnisher`) a furnisher's queue, with its own key for each item.
fn print_disputes(disputes: &[DisputeView], f: FormatArg, furnisher: bool) -> Result<(), Failure> {
    let mut header = vec!["id", "item", "account", "month", "inquiry", "special", "agreement"];
    if furnisher {
        header.push("key");
    }
    header.extend(["type", "state", "filed_on", "due_on"]);
    list::print(disputes, f.format, &header, |d| {
        let mut row = vec![
            d.id.to_string(),
            d.item.to_string(),
            cell(d.account_ref.as_ref()),
            cell(d.month),
            cell(d.inquiry_ref.as_ref()),
            cell(d.special_ref.as_ref()),
            cell(d.agreement_ref.as_ref()),
        ];
        if furnisher {
            row.push(cell(d.furnisher_key.as_ref()));
        }
        row.extend([d.dispute_type.to_string(), d.state.to_string(), d.filed_on.to_string(), d.due_on.to_string()]);
        row
    })
}

/// The notices sent at a person's request.
fn print_recipient_notices(notices: &[RecipientNotice], f: FormatArg) -> Result<(), Failure> {
    let header = ["dispute", "organization", "inquiry", "inquired_on", "state", "noticed_on"];
    list::print(notices, f.format, &header, |n| {
        vec![
            n.dispute.to_string(),
            n.organization.clone(),
            n.inquiry_ref.clone(),
            n.inquired_on.to_string(),
            n.state.to_string(),
            n.noticed_on.to_string(),
        ]
    })
}

/// An organization's notices, the items named as its copies named them.
fn print_correction_notices(notices: &[CorrectionNotice], f: FormatArg) -> Result<(), Failure> {
    let header = ["id", "report", "item", "account", "month", "inquiry", "special", "agreement", "state", "noticed_on"];
    list::print(notices, f.format, &header, |n| {
        vec![
            n.id.to_string(),
            n.report_id.clone(),
            n.item.to_string(),
            cell(n.account_ref.as_ref()),
            cell(n.month),
            cell(n.inquiry_ref.as_ref()),
            cell(n.special_ref.as_ref()),
            cell(n.agreement_ref.as_ref()),
            n.state.to_string(),
            n.noticed_on.to_string(),
        ]
    })
}

/// Runs `openbureau dispute`.
pub fn dispute(ctx: &Context, c: &DisputeCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    match c {
        DisputeCommand::File { person, account, month, inquiry, identity, special, agreement, kind } => {
            let target = match (account, month, inquiry, identity, special, agreement) {
                (Some(a), Some(m), ..) => DisputeTarget::Month(a.clone(), *m),
                (Some(a), None, ..) => DisputeTarget::Account(a.clone()),
                (None, _, Some(q), ..) => DisputeTarget::Inquiry(q.clone()),
                (None, _, None, true, ..) => DisputeTarget::Identity,
                (None, _, None, false, Some(x), _) => DisputeTarget::Special(x.clone()),
                (None, _, None, false, None, Some(g)) => DisputeTarget::Agreement(g.clone()),
                _ => {
                    return Err(usage(
                        "name the item: --account [--month], --inquiry, --identity, --special or --agreement",
                    ));
                }
            };
            let id = bureau.file_dispute(&person.document()?, &target, *kind).map_err(classify)?;
            let due = bureau.policy().dispute_answer_days;
            outln!("dispute {} filed; the item is marked disputed; the answer is due within {due} days", id.0);
        }
        DisputeCommand::List { person, format } => {
            print_disputes(&bureau.disputes_of_person(&person.document()?).map_err(classify)?, *format, false)?
        }
        DisputeCommand::Queue { org, format } => {
            print_disputes(&bureau.dispute_queue(org).map_err(classify)?, *format, true)?
        }
        DisputeCommand::Answer { org, id, outcome, note } => {
            let answer = match outcome {
                Outcome::Corrected => Answer::Corrected,
                Outcome::Verified => Answer::Verified,
                Outcome::Deleted => Answer::Deleted,
            };
            bureau.answer_dispute(org.as_deref(), DisputeId(*id), answer, note.as_deref()).map_err(classify)?;
            outln!("dispute {id} answered");
        }
        DisputeCommand::Tell { person, id, inquiries, format } => {
            let only = (!inquiries.is_empty()).then_some(inquiries.as_slice());
            let made = bureau.tell_recipients(&person.document()?, DisputeId(*id), only).map_err(classify)?;
            print_recipient_notices(&made, *format)?;
        }
        DisputeCommand::Notices { person, format } => {
            let document = person.document()?;
            print_recipient_notices(&bureau.recipient_notices_of_person(&document).map_err(classify)?, *format)?;
        }
        DisputeCommand::NoticeQueue { org, after, format } => {
            let notices = bureau.correction_notices_for(org, *after).map_err(classify)?;
            print_correction_notices(&notices, *format)?;
        }
        DisputeCommand::Certify { org, id, note } => {
            bureau.certify_reinsertion(org, DisputeId(*id), note).map_err(classify)?;
            outln!("dispute {id}: reinsertion certified; the person will see it");
        }
    }
    Ok(())
}

/// `openbureau statement`.
#[derive(Subcommand)]
pub enum StatementCommand {
    /// Add a statement beside a negative item of your file.
    Add {
        #[command(flatten)]
        person: Person,
        /// The account, by the reference your report shows.
        #[arg(long)]
        account: String,
        /// One month of it.
        #[arg(long, value_parser = crate::args::month)]
        month: Option<YearMonth>,
        /// not_my_business, annual_fee, lost_card, third_party_late, subsidy_late, other.
        #[arg(long = "type", value_parser = parse_statement_type)]
        kind: StatementType,
        /// Your words (at most 100 words).
        #[arg(long)]
        text: String,
    },
    /// Your statements, withdrawn ones too.
    List {
        #[command(flatten)]
        person: Person,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Withdraw a statement.
    Withdraw {
        #[command(flatten)]
        person: Person,
        /// Statement id.
        #[arg(long)]
        id: i64,
    },
}

/// Runs `openbureau statement`.
pub fn statement(ctx: &Context, c: &StatementCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    match c {
        StatementCommand::Add { person, account, month, kind, text } => {
            let id = bureau.add_statement(&person.document()?, account, *month, *kind, text).map_err(classify)?;
            outln!("statement {} added; it shows beside the item on every report", id.0);
        }
        StatementCommand::List { person, format } => {
            let statements = bureau.statements_of_person(&person.document()?).map_err(classify)?;
            let header = ["id", "account", "month", "type", "added_on", "withdrawn_on", "text"];
            list::print(&statements, format.format, &header, |s| {
                vec![
                    s.id.to_string(),
                    s.account_ref.clone(),
                    cell(s.month),
                    s.statement_type.to_string(),
                    s.added_on.to_string(),
                    cell(s.withdrawn_on),
                    s.text.clone(),
                ]
            })?;
        }
        StatementCommand::Withdraw { person, id } => {
            bureau.withdraw_statement(&person.document()?, StatementId(*id)).map_err(classify)?;
            outln!("statement {id} withdrawn");
        }
    }
    Ok(())
}

/// `openbureau consent`.
#[derive(Subcommand)]
pub enum ConsentCommand {
    /// Your authorizations.
    List {
        #[command(flatten)]
        person: Person,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record an inquiry authorization the person signed for a lender (授权): from today, with
    /// the SHA-256 of the signed form as its evidence. Prints its reference.
    Add {
        #[command(flatten)]
        person: Person,
        /// The lender's organization code.
        #[arg(long)]
        org: String,
        /// What for: the query reason code (02 loan approval, 03 card approval, …).
        #[arg(long)]
        purpose: String,
        /// The signed authorization (any file: its SHA-256 is kept, not its content).
        #[arg(long)]
        evidence: std::path::PathBuf,
        /// Last day in force (default: one year from today).
        #[arg(long, value_parser = crate::args::date)]
        expires_on: Option<time::Date>,
    },
    /// Revoke an authorization from today.
    Revoke {
        #[command(flatten)]
        person: Person,
        /// The consent's reference (e.g. C3).
        #[arg(long)]
        consent: String,
    },
}

/// Runs `openbureau consent`.
pub fn consent(ctx: &Context, c: &ConsentCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    match c {
        ConsentCommand::List { person, format } => {
            let consents = bureau.consents_of_person(&person.document()?).map_err(classify)?;
            let header = ["consent", "organization", "scope", "purpose", "granted_on", "expires_on", "revoked_on"];
            list::print(&consents, format.format, &header, |c| {
                vec![
                    c.consent_ref.clone(),
                    c.organization.clone(),
                    c.scope.to_string(),
                    cell(c.purpose),
                    c.granted_on.to_string(),
                    c.expires_on.to_string(),
                    cell(c.revoked_on),
                ]
            })?;
        }
        ConsentCommand::Add { person, org, purpose, evidence, expires_on } => {
            let purpose = QueryReason::parse(purpose)
                .ok_or_else(|| usage(format!("--purpose {purpose}: not a query reason code (02, 03, …)")))?;
            let bytes =
                std::fs::read(evidence).map_err(|e| usage(format!("--evidence {}: {e}", evidence.display())))?;
            let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
            let expires = expires_on
                .unwrap_or_else(|| time::OffsetDateTime::now_utc().date().saturating_add(time::Duration::days(365)));
            let reference =
                bureau.add_inquiry_consent(&person.document()?, org, purpose, expires, digest).map_err(classify)?;
            outln!("consent {reference} recorded: {org} may ask for this report for {purpose} until {expires}");
        }
        ConsentCommand::Revoke { person, consent } => {
            bureau.revoke_consent(&person.document()?, consent).map_err(classify)?;
            outln!("consent {consent} revoked from today; what was reported before stays for its retention period");
        }
    }
    Ok(())
}

/// Which flag.
#[derive(Clone, Copy, ValueEnum)]
pub enum Flag {
    /// Fraud alert (防欺诈警示), shown in the report header.
    FraudAlert,
    /// Security freeze: no report for new credit.
    Freeze,
}

/// `openbureau flag`.
#[derive(Subcommand)]
pub enum FlagCommand {
    /// Place a fraud alert or a freeze on your file.
    Place {
        #[command(flatten)]
        person: Person,
        /// Which flag.
        #[arg(long, value_enum)]
        kind: Flag,
    },
    /// Lift it, at once.
    Lift {
        #[command(flatten)]
        person: Person,
        /// Which flag.
        #[arg(long, value_enum)]
        kind: Flag,
    },
}

/// Runs `openbureau flag`.
pub fn flag(ctx: &Context, c: &FlagCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    let kind = |k: &Flag| match k {
        Flag::FraudAlert => FlagKind::FraudAlert,
        Flag::Freeze => FlagKind::Freeze,
    };
    match c {
        FlagCommand::Place { person, kind: k } => {
            bureau.place_flag(&person.document()?, kind(k)).map_err(classify)?;
            outln!("{} placed", kind(k));
        }
        FlagCommand::Lift { person, kind: k } => {
            bureau.lift_flag(&person.document()?, kind(k)).map_err(classify)?;
            outln!("{} lifted", kind(k));
        }
    }
    Ok(())
}

/// `openbureau retention`.
#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Purge negative information older than the policy's retention period.
    Run,
}

/// Runs `openbureau retention run`.
pub fn retention(ctx: &Context, _c: &RetentionCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    let s = bureau.run_retention().map_err(classify)?;
    outln!(
        "retention ({}): {} accounts examined, {} account-months purged ({} stored versions deleted), \
         {} accounts removed (their newest month expired)",
        bureau.policy().name,
        s.accounts_examined,
        s.months_purged,
        s.versions_deleted,
        s.accounts_removed
    );
    Ok(())
}
