//! `openbureau serve` (the HTTP API) and `openbureau org key` (organizations' API keys).

use crate::open::{Context, system_clock};
use crate::{Failure, usage};
use clap::{Args, Subcommand};
use ob_server::keys::{self, KeyTable, Role};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Serve the HTTP API on the store in the data folder.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "OPENBUREAU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The organizations' API keys (`openbureau org key` writes it). Read once at startup.
    #[arg(long, env = "OPENBUREAU_KEYS")]
    pub keys: PathBuf,
}

/// Organizations.
#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an API key for an organization: printed once; only its SHA-256 is kept.
    Key(KeyArgs),
}

/// Arguments of `org key`.
#[derive(Args)]
pub struct KeyArgs {
    /// The organization's code (as in its furnisher files).
    #[arg(long)]
    pub code: String,
    /// A role: furnisher or lender (repeat for both).
    #[arg(long, required = true, value_parser = parse_role)]
    pub role: Vec<Role>,
    /// The keys file to append to (created when missing).
    #[arg(long, env = "OPENBUREAU_KEYS")]
    pub keys: PathBuf,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "furnisher or lender".to_owned())
}

/// Runs the server until Ctrl-C.
pub fn serve(ctx: &Context, args: &ServeArgs) -> Result<(), Failure> {
    if !args.keys.exists() {
        return Err(usage(format!("no keys file at {} (create keys with `openbureau org key`)", args.keys.display())));
    }
    let table = KeyTable::load(&args.keys).map_err(usage)?;
    let bureau = ctx.bureau(false, system_clock())?;
    ob_server::serve_blocking(args.listen, ob_server::AppState::new(bureau, table))
        .map_err(|e| usage(format!("serving on {}: {e}", args.listen)))
}

/// Organization commands.
pub fn org(command: &OrgCommand) -> Result<(), Failure> {
    match command {
        OrgCommand::Key(a) => {
            let key = keys::create_key(&a.keys, &a.code, &a.role).map_err(usage)?;
            eprintln!(
                "API key for {} — shown once, store it now; {} keeps only its SHA-256:",
                a.code,
                a.keys.display()
            );
            println!("{key}");
            Ok(())
        }
    }
}
