//! `openbureau person`: a person's sign-in to the web pages.

use crate::commands::classify;
use crate::open::{Context, system_clock};
use crate::{Failure, usage};
use clap::Subcommand;
use ob_bureau::access::hash_password;
use ob_model::DocumentType;
use std::io::{BufRead, IsTerminal};

/// Environment variable holding the password to set.
pub const PASSWORD_ENV: &str = "OPENBUREAU_PASSWORD";

/// People's web sign-ins.
#[derive(Subcommand)]
pub enum PersonCommand {
    /// Set or replace the password a person signs in to the web pages with (after checking who
    /// they are). The password comes from OPENBUREAU_PASSWORD, or else the first line of standard
    /// input: never from an argument, which process lists and shell histories keep.
    Password {
        /// Document type.
        #[arg(long, alias = "doc-type", default_value = "prc_resident_id", value_parser = crate::args::doc_type)]
        document_type: DocumentType,
        /// Document number.
        #[arg(long, alias = "doc-number")]
        document_number: String,
    },
}

/// Runs `openbureau person`.
pub fn run(ctx: &Context, c: &PersonCommand) -> Result<(), Failure> {
    match c {
        PersonCommand::Password { document_type, document_number } => {
            let document = crate::args::document(*document_type, document_number)?;
            let password = read_password()?;
            // argon2id: slow on purpose, done before the store is opened.
            let phc = hash_password(&password).map_err(classify)?;
            drop(password);
            let mut bureau = ctx.bureau(false, system_clock())?;
            bureau.set_password(&document, &phc).map_err(classify)?;
            outln!("password set for {}: they sign in on the web page (openbureau serve, /)", document.masked());
            Ok(())
        }
    }
}

fn read_password() -> Result<String, Failure> {
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(usage(format!(
            "a password typed here would show on the screen: set {PASSWORD_ENV} or pipe it on standard input"
        )));
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(usage(format!("no password: set {PASSWORD_ENV} or give it as the first line of standard input")));
    }
    Ok(password.to_owned())
}
