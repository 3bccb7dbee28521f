//! `openbureau`: the command line. The only crate that knows argv and exit codes.
//!
//! Exit codes: one table for every command, in [`exit_code`], the README and `--help`.

#[macro_use]
mod output;
mod args;
mod backup;
mod commands;
mod demo;
mod demo_serve;
pub mod exit_code;
mod extras;
mod jobs;
mod key;
mod list;
mod metro2;
mod open;
mod pboc;
mod person;
mod rights;
mod score;
mod serve;
mod sim_pboc;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: ingest parses on one thread and stores on another, and
/// glibc's frees of another thread's blocks cost 12 % of an ingest (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

/// The version line: the crate's version, the commit and the day it was built.
const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("OPENBUREAU_COMMIT"), ", built ", env!("OPENBUREAU_BUILD_DATE"), ")");

/// OpenBureau: an open-source credit reference system (征信系统).
#[derive(Parser)]
#[command(version = VERSION, propagate_version = true, after_help = exit_code::HELP)]
struct Cli {
    /// Folder holding the store, the key file and the demo's files.
    #[arg(long, global = true, env = "OPENBUREAU_DATA", default_value = "./openbureau-data")]
    data: PathBuf,
    /// The store: `sqlite:PATH` or `postgres://user@host:port/database` (libpq URL). Defaults to
    /// the SQLite file DATA/openbureau.sqlite.
    #[arg(long, global = true, env = "OPENBUREAU_STORE", value_name = "URL")]
    store: Option<String>,
    /// Key file (64 hex digits). Defaults to DATA/openbureau.key. The OPENBUREAU_KEY variable,
    /// when set, holds the key itself and takes precedence.
    #[arg(long, global = true, env = "OPENBUREAU_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The rules in force: `prc` (default), `us`, or a policy JSON file (docs/rights.md).
    #[arg(long, global = true, env = "OPENBUREAU_POLICY", default_value = "prc")]
    policy: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a demo store: simulate lenders, ingest their files, print one person's report.
    Demo(demo::DemoArgs),
    /// Write simulated furnisher files and their ground truth.
    Simulate(commands::SimulateArgs),
    /// Ingest furnisher files (canonical JSON lines, Metro 2, PBOC-style messages), in the order given.
    Ingest(commands::IngestArgs),
    /// Produce a credit report (logged as an inquiry or self-view first).
    Report(commands::ReportArgs),
    /// What the file holds about a person and what it never holds, in plain words (zh + en).
    Explain(commands::ExplainArgs),
    /// A furnisher's open accounts not reported for 3 months or more (STALE_ACCOUNT), JSON lines.
    Stale(commands::StaleArgs),
    /// Copy the live store, consistently, to a file (SQLite backup API; pg_dump for PostgreSQL).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty store, after checking the key opens it and its audit chain.
    Restore(backup::RestoreArgs),
    /// Audit chain operations.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// The store's key: rotate it.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Disputes (异议): file, list, answer, certify.
    #[command(subcommand)]
    Dispute(rights::DisputeCommand),
    /// Personal statements (本人声明) beside negative items.
    #[command(subcommand)]
    Statement(rights::StatementCommand),
    /// Authorizations (授权): list, revoke.
    #[command(subcommand)]
    Consent(rights::ConsentCommand),
    /// Fraud alerts and freezes.
    #[command(subcommand)]
    Flag(rights::FlagCommand),
    /// Retention of negative information.
    #[command(subcommand)]
    Retention(rights::RetentionCommand),
    /// CDIA Metro 2 files: validate, convert, print.
    #[command(subcommand)]
    Metro2(metro2::Metro2Command),
    /// PBOC-style reporting messages: validate, convert.
    #[command(subcommand)]
    Pboc(pboc::PbocCommand),
    /// Scorecards: train and apply on any CSV file; build the bureau score from the store.
    #[command(subcommand)]
    Score(score::ScoreCommand),
    /// Serve the HTTP API (furnisher batches, lender reports) until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Organizations: add them with their roles, issue and revoke their API keys.
    #[command(subcommand)]
    Org(serve::OrgCommand),
    /// Operators: admin API keys.
    #[command(subcommand)]
    Admin(serve::AdminCommand),
    /// Print the HTTP API's OpenAPI 3.1 document (JSON), as served at /v1/openapi.json.
    Openapi,
    /// People: the password they sign in to the web pages with.
    #[command(subcommand)]
    Person(person::PersonCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(extras::CompletionsArgs),
    /// Print the manual page (roff; `openbureau man | man -l -`).
    Man,
}

/// A failure, with the exit code it deserves (see [`exit_code`]).
pub enum Failure {
    /// A check found problems and printed them already: exit 1.
    Findings,
    /// The data is invalid (a file refused as a whole, a record that cannot be written): exit 1.
    Invalid(anyhow::Error),
    /// The user's arguments, or a file or folder that cannot be read or written: exit 2.
    Usage(anyhow::Error),
    /// The rules refuse the request (no consent, a freeze, a closed dispute…): exit 3.
    Refused(anyhow::Error),
    /// Something inside failed: exit 70.
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Internal(e.into())
    }
}

impl Failure {
    /// The same failure with `context` in front of its message.
    pub fn context(self, context: impl std::fmt::Display + Send + Sync + 'static) -> Failure {
        match self {
            Failure::Findings => Failure::Findings,
            Failure::Invalid(e) => Failure::Invalid(e.context(context)),
            Failure::Usage(e) => Failure::Usage(e.context(context)),
            Failure::Refused(e) => Failure::Refused(e.context(context)),
            Failure::Internal(e) => Failure::Internal(e.context(context)),
        }
    }
}

/// Shorthand for a usage failure.
pub fn usage(msg: impl std::fmt::Display) -> Failure {
    Failure::Usage(anyhow::anyhow!("{msg}"))
}

/// Shorthand for invalid data.
pub fn invalid(msg: impl std::fmt::Display) -> Failure {
    Failure::Invalid(anyhow::anyhow!("{msg}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match open::Context::new(cli.data, cli.store.as_deref(), cli.key_file, &cli.policy) {
        Ok(ctx) => ctx,
        Err(e) => return exit(Err(e)),
    };
    let result = match cli.command {
        Command::Demo(a) => demo::run(&ctx, &a),
        Command::Simulate(a) => commands::simulate(&a),
        Command::Ingest(a) => commands::ingest(&ctx, &a),
        Command::Report(a) => commands::report(&ctx, &a),
        Command::Explain(a) => commands::explain(&ctx, &a),
        Command::Stale(a) => commands::stale(&ctx, &a),
        Command::Backup(a) => backup::backup(&ctx, &a),
        Command::Restore(a) => backup::restore(&ctx, &a),
        Command::Audit(a) => commands::audit(&ctx, &a),
        Command::Key(c) => key::run(&ctx, &c),
        Command::Dispute(c) => rights::dispute(&ctx, &c),
        Command::Statement(c) => rights::statement(&ctx, &c),
        Command::Consent(c) => rights::consent(&ctx, &c),
        Command::Flag(c) => rights::flag(&ctx, &c),
        Command::Retention(c) => rights::retention(&ctx, &c),
        Command::Score(c) => score::run(&ctx, &c),
        Command::Metro2(c) => metro2::run(&c),
        Command::Pboc(c) => pboc::run(&c),
        Command::Serve(a) => serve::serve(&ctx, &a),
        Command::Org(c) => serve::org(&ctx, &c),
        Command::Admin(c) => serve::admin(&ctx, &c),
        Command::Openapi => {
            outln!("{}", ob_server::openapi::document_json());
            Ok(())
        }
        Command::Person(c) => person::run(&ctx, &c),
        Command::Completions(a) => extras::completions::<Cli>(&a),
        Command::Man => extras::man::<Cli>(),
    };
    exit(result)
}

fn exit(result: Result<(), Failure>) -> ExitCode {
    let (code, label, error) = match result {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::Findings) => return ExitCode::from(exit_code::INVALID),
        Err(Failure::Invalid(e)) => (exit_code::INVALID, "invalid", e),
        Err(Failure::Usage(e)) => (exit_code::USAGE, "error", e),
        Err(Failure::Refused(e)) => (exit_code::REFUSED, "refused", e),
        Err(Failure::Internal(e)) => (exit_code::INTERNAL, "internal error", e),
    };
    if output::is_broken_pipe(&error) {
        return ExitCode::SUCCESS;
    }
    eprintln!("{label}: {error:#}");
    ExitCode::from(code)
}
