//! `openbureau serve` (the HTTP API), `openbureau org add|key|revoke` and `openbureau admin key`.

use crate::commands::classify;
use crate::open::{Context, system_clock};
use crate::{Failure, usage};
use clap::{Args, Subcommand};
use ob_bureau::access::{Role, key_digest};
use ob_model::limits;
use std::net::SocketAddr;

/// Serve the HTTP API on the store in the data folder.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "OPENBUREAU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Requests a second one API key may make, sustained.
    #[arg(long, env = "OPENBUREAU_RATE_PER_KEY", default_value_t = limits::HTTP_RATE_PER_KEY_PER_S)]
    pub rate_per_key: u32,
    /// Requests one API key may make in a burst.
    #[arg(long, env = "OPENBUREAU_BURST_PER_KEY", default_value_t = limits::HTTP_BURST_PER_KEY)]
    pub burst_per_key: u32,
    /// Mark the web session cookie `Secure` (serve behind HTTPS).
    #[arg(long, env = "OPENBUREAU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Bureau workers, each with its own connection to the store: 1 on SQLite (its one writer),
    /// 8 by default on PostgreSQL.
    #[arg(long, env = "OPENBUREAU_WORKERS",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(limits::SERVER_WORKERS_MAX)))]
    pub workers: Option<u32>,
}

/// Organizations.
#[derive(Subcommand)]
pub enum OrgCommand {
    /// Add an organization, or set an existing one's roles.
    Add(AddArgs),
    /// Create an API key for an organization: printed once; the store keeps only its SHA-256.
    Key(KeyArgs),
    /// Revoke an API key, by the SHA-256 printed when it was made.
    Revoke(RevokeArgs),
    /// List organizations and their roles.
    List(crate::list::FormatArg),
}

/// Operators.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an operator's (admin) API key: printed once.
    Key(LabelArgs),
}

/// Arguments of `org add`.
#[derive(Args)]
pub struct AddArgs {
    /// The organization's code (as in its furnisher files).
    #[arg(long)]
    pub code: String,
    /// Its name.
    #[arg(long, default_value = "")]
    pub name: String,
    /// A role: furnisher or lender (repeat for both).
    #[arg(long, required = true, value_parser = parse_role)]
    pub role: Vec<Role>,
    /// Its kind (机构类型), by which an institution's copy of a report names it to other lenders:
    /// 11 commercial bank, 12 rural bank, 21 consumer finance, 22 auto finance, 31 microlender,
    /// 41 leasing, 51 asset management, 99 other.
    #[arg(long = "type", value_parser = crate::args::institution_type)]
    pub org_type: Option<ob_model::InstitutionType>,
}

/// Arguments of `org key`.
#[derive(Args)]
pub struct KeyArgs {
    /// The organization's code.
    #[arg(long)]
    pub code: String,
    /// What the key is for.
    #[arg(long, default_value = "")]
    pub label: String,
}

/// Arguments of `org revoke`.
#[derive(Args)]
pub struct RevokeArgs {
    /// SHA-256 of the key, hex.
    #[arg(long)]
    pub key_sha256: String,
}

/// A label.
#[derive(Args)]
pub struct LabelArgs {
    /// What the key is for.
    #[arg(long, default_value = "")]
    pub label: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).filter(|r| *r != Role::Admin).ok_or_else(|| "furnisher or lender".to_owned())
}

/// Runs the server until Ctrl-C.
pub fn serve(ctx: &Context, args: &ServeArgs) -> Result<(), Failure> {
    let workers = match (ctx.store.concurrent(), args.workers) {
        (true, n) => n.unwrap_or(limits::SERVER_WORKERS_DEFAULT_POSTGRES),
        (false, None | Some(1)) => 1,
        (false, Some(n)) => {
            return Err(usage(format!(
                "--workers {n}: an SQLite store takes one writer, so one worker; several need --store postgres://…"
            )));
        }
    };
    // Keys from the key file follow it through a rotation; a key given in the environment cannot.
    let watch = std::env::var_os(crate::open::KEY_ENV).is_none().then(|| ctx.key_path());
    let bureaus = (0..workers)
        .map(|_| {
            let bureau = ctx.bureau(false, system_clock())?;
            Ok(match &watch {
                Some(path) => bureau.watch_key_file(path),
                None => bureau,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let spool = ctx.data.join("spool");
    private_folder(&spool).map_err(|e| usage(format!("{}: {e}", spool.display())))?;
    let state =
        ob_server::AppState::with_workers(bureaus).with_spool(spool).with_rate(args.rate_per_key, args.burst_per_key);
    let state = state.with_secure_cookies(args.secure_cookies);
    ob_server::serve_blocking(args.listen, state).map_err(|e| usage(format!("serving on {}: {e}", args.listen)))
}

/// Creates `folder` (if needed) readable by the server's user only: uploads wait there and hold
/// identifiers in clear.
fn private_folder(folder: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Prints a new key and its digest.
fn print_key(whose: &str, key: &str) {
    eprintln!("API key for {whose}, shown once: store it now. The bureau keeps only its SHA-256:");
    eprintln!("  key_sha256 {}", hex::encode(key_digest(key)));
    outln!("{key}");
}

/// Organization commands.
pub fn org(ctx: &Context, command: &OrgCommand) -> Result<(), Failure> {
    // Adding the first organizations is how an operator sets up a new bureau: the store is made.
    let mut bureau = ctx.bureau(matches!(command, OrgCommand::Add(_)), system_clock())?;
    match command {
        OrgCommand::Add(a) => {
            let org = bureau.add_org(&a.code, &a.name, &a.role).map_err(classify)?;
            if let Some(t) = a.org_type {
                bureau.set_org_type(&a.code, t).map_err(classify)?;
            }
            let roles: Vec<&str> = org.roles.iter().map(|r| r.as_str()).collect();
            outln!("{} ({}): {}", org.code, org.name, roles.join(", "));
        }
        OrgCommand::Key(a) => print_key(&a.code, &bureau.issue_key(Some(&a.code), &a.label).map_err(classify)?),
        OrgCommand::Revoke(a) => {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(&a.key_sha256, &mut digest).map_err(|_| {
                usage(format!(
                    "--key-sha256 {:?} is not 64 hex digits: give the key_sha256 line printed when the key was made",
                    a.key_sha256
                ))
            })?;
            if !bureau.revoke_key(&digest, None).map_err(classify)? {
                return Err(usage("no such unrevoked key"));
            }
            outln!("revoked");
        }
        OrgCommand::List(f) => {
            let orgs = bureau.orgs().map_err(classify)?;
            crate::list::print(&orgs, f.format, &["code", "roles", "name"], |org| {
                let roles: Vec<&str> = org.roles.iter().map(|r| r.as_str()).collect();
                vec![org.code.clone(), roles.join(","), org.name.clone()]
            })?;
        }
    }
    Ok(())
}

/// Operator commands.
pub fn admin(ctx: &Context, command: &AdminCommand) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(true, system_clock())?;
    match command {
        AdminCommand::Key(a) => print_key("an operator", &bureau.issue_key(None, &a.label).map_err(classify)?),
    }
    Ok(())
}
