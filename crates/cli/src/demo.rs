//! `openbureau demo`: a fresh store, three simulated lenders, 24 months of their files ingested
//! month by month on a simulated clock, totals, and one person's report.

use crate::commands::{ingest_one, last_delivered_month, progress_bar};
use crate::open::{Context, KEY_FILE, STORE_FILE, open_bureau};
use crate::{Failure, usage};
use anyhow::Context as _;
use clap::Args;
use ob_bureau::clock::{Clock, ManualClock, SystemClock};
use ob_bureau::crypto::Keys;
use ob_bureau::report::{ReportRequest, Requester};
use ob_model::{DocumentNumber, QueryReason, RepaymentStatus};
use ob_sim::{Behaviour, PersonTruth, SimConfig};
use ob_store::Location;
use ob_store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Metadata key marking a store as the demo's (so that a later demo may replace it).
const DEMO_MARK: &str = "demo";
/// The demo lender's code: it holds the shown person's authorization to ask for their report.
pub(crate) const DEMO_LENDER: &str = "DEMOLEND";
/// Folder of the simulated furnisher files inside the data folder.
const FURNISHER_DIR: &str = "furnishers";
/// Folder of feedback files inside the data folder.
const FEEDBACK_DIR: &str = "feedback";

/// `openbureau demo` options.
#[derive(Args)]
pub struct DemoArgs {
    /// People to simulate.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u32).range(1..))]
    pub people: u32,
    /// Months of history (1 to 120).
    #[arg(long, default_value_t = 24, value_parser = crate::args::months())]
    pub months: u32,
    /// Random seed.
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Then also create a demo lender, furnisher key, operator key and the shown person's web
    /// sign-in, print them, and serve the HTTP API and web pages until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// Address to serve on, with `--serve`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
}

/// Runs the demo.
pub fn run(ctx: &Context, a: &DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    prepare_folder(&ctx.data, &ctx.store)?;
    let key_path = ctx.data.join(KEY_FILE);
    // A PostgreSQL demo keeps a key file already in the folder (the database is new and empty);
    // an SQLite demo's folder was cleared above.
    let keys = if key_path.exists() && matches!(ctx.store, Location::Postgres(_)) {
        Keys::load(&key_path).map_err(usage)?
    } else {
        Keys::generate(&key_path).context("writing the demo key")?
    };
    let today = SystemClock.today();
    let config = SimConfig {
        people: a.people,
        months: a.months,
        seed: a.seed,
        end_month: last_delivered_month(today),
        ..Default::default()
    };
    outln!("OpenBureau demo — data folder {}", ctx.data.display());
    outln!(
        "1. simulating {} people over {} months ({} to {}) at {} lenders…",
        a.people,
        a.months,
        config.end_month.plus(1 - a.months as i32),
        config.end_month,
        ob_sim::FURNISHERS.len()
    );
    let furnisher_dir = ctx.data.join(FURNISHER_DIR);
    let bar = progress_bar(u64::from(a.people), "simulate");
    let sim = ob_sim::simulate_with_progress(&config, &furnisher_dir, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    outln!(
        "   {} accounts, {} account-months, {} consents, {} notices in {} files; on purpose: {} malformed lines, {} corrections, {} accounts reported by mistake then deleted",
        sim.accounts,
        sim.month_records,
        sim.consent_records,
        sim.notices,
        sim.files.len(),
        sim.malformed_lines,
        sim.corrections,
        sim.deletions
    );

    outln!("2. ingesting each month's files as the lenders would have sent them…");
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let mut bureau = open_bureau(&ctx.store, keys, clock.clone())?;
    mark_demo(bureau.store_mut())?;
    let total_bytes: u64 = sim.files.iter().map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len())).sum();
    let bar = progress_bar(total_bytes, "ingest");
    let (mut accepted, mut rejected) = (0, 0);
    let mut by_code: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for file in &sim.files {
        clock.set(file.deliver_on.with_hms(2, 0, 0).map_err(anyhow::Error::from)?.assume_utc());
        let (summary, _feedback) = ingest_one(&mut bureau, &file.path, &ctx.data.join(FEEDBACK_DIR), &bar, 0)?;
        accepted += summary.accepted;
        rejected += summary.rejected;
        for (code, n) in &summary.rejected_by_code {
            *by_code.entry(code.clone()).or_default() += n;
        }
    }
    bar.finish_and_clear();
    let counts = bureau.store().read()?.counts()?;
    outln!(
        "   {} records accepted, {} rejected; the store holds {} people, {} accounts, {} account-month versions",
        accepted,
        rejected,
        counts.subjects,
        counts.accounts,
        counts.account_months
    );
    if !by_code.is_empty() {
        let codes: Vec<String> = by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
        outln!(
            "   rejections by code: {} — each in its feedback file under {}/{FEEDBACK_DIR}/",
            codes.join(", "),
            ctx.data.display()
        );
    }
    clock.set(SystemClock.now());
    build_score(&mut bureau, config.end_month)?;
    let places = match &ctx.store {
        Location::Sqlite(path) if *path == ctx.data.join(STORE_FILE) => format!("--data {}", ctx.data.display()),
        other => format!("--data {} --store {}", ctx.data.display(), other.display()),
    };
    let person = show_person(&mut bureau, &furnisher_dir.join("truth.jsonl"), &places)?;
    outln!("   (the demo took {:.1} s)", started.elapsed().as_secs_f64());
    if a.serve {
        drop(bureau);
        crate::demo_serve::run(ctx, &person, a.listen)?;
    }
    Ok(())
}

/// Trains the bureau score as of 12 months before the last simulated month, so that reports carry
/// a score; a population too small to train on is said, not an error.
fn build_score<S: Store>(bureau: &mut ob_bureau::Bureau<S>, end_month: ob_model::YearMonth) -> Result<(), Failure> {
    let as_of = end_month.plus(-ob_bureau::score::OUTCOME_MONTHS).last_day();
    match bureau.build_score(as_of) {
        Ok(b) => outln!(
            "   bureau score v{} trained on {} files as of {as_of} ({} went 90+ days late within a year): holdout AUC {:.3}",
            b.version,
            b.people,
            b.bad,
            b.holdout_auc
        ),
        Err(ob_bureau::BureauError::Refused { detail, .. }) => outln!("   no bureau score: {detail}"),
        Err(ob_bureau::BureauError::Score(e)) => outln!("   no bureau score: {e}"),
        Err(e) => return Err(crate::commands::classify(e)),
    }
    Ok(())
}

/// Refuses a folder holding a store that is not a demo's; clears a previous demo's files. A
/// PostgreSQL store must be empty: the demo never deletes a database's rows.
fn prepare_folder(data: &Path, location: &Location) -> Result<(), Failure> {
    if let Location::Postgres(_) = location {
        let store = ob_store::open(location).map_err(|e| usage(format!("opening {}: {e}", location.display())))?;
        if store.read()?.meta("key_check")?.is_some() {
            return Err(usage(format!(
                "{} already holds a store; the demo needs an empty database (create one, e.g. `createdb openbureau_demo`)",
                location.display()
            )));
        }
        for dir in [FURNISHER_DIR, FEEDBACK_DIR] {
            let p = data.join(dir);
            if p.exists() {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
        std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
        return Ok(());
    }
    let store = match location {
        Location::Sqlite(path) => path.clone(),
        Location::Postgres(_) => data.join(STORE_FILE),
    };
    if store.exists() {
        let is_demo = ob_store::sqlite::SqliteStore::open(&store)
            .ok()
            .and_then(|s| s.read().ok().and_then(|r| r.meta(DEMO_MARK).ok().flatten()))
            .is_some_and(|v| v == "true");
        if !is_demo {
            return Err(usage(format!(
                "{} holds a store that is not a demo's; refusing to overwrite it (choose another --data folder)",
                data.display()
            )));
        }
        let sidecar = |suffix: &str| {
            let mut name = store.clone().into_os_string();
            name.push(suffix);
            std::path::PathBuf::from(name)
        };
        for p in [store.clone(), sidecar("-wal"), sidecar("-shm"), data.join(KEY_FILE)] {
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
        for dir in [FURNISHER_DIR, FEEDBACK_DIR] {
            let p = data.join(dir);
            if p.exists() {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    } else if data.join(KEY_FILE).exists() {
        return Err(usage(format!("{} holds a key file but no store; refusing to replace the key", data.display())));
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    Ok(())
}

fn mark_demo(store: &mut impl Store) -> Result<(), Failure> {
    let mut w = store.write()?;
    w.set_meta(DEMO_MARK, "true")?;
    w.commit()?;
    Ok(())
}

/// Picks a person who fell behind (the most instructive report), prints what they did and their
/// report, and checks the report's grid against what the lenders reported.
fn show_person<S: Store>(
    bureau: &mut ob_bureau::Bureau<S>,
    truth_path: &Path,
    places: &str,
) -> Result<PersonTruth, Failure> {
    let truth = ob_sim::read_truth(truth_path).context("reading the ground truth")?;
    let worst = |p: &PersonTruth| {
        p.accounts.iter().flat_map(|a| &a.months).filter_map(|m| m.status.overdue_periods()).max().unwrap_or(0)
    };
    let person = truth
        .iter()
        .filter(|p| p.behaviour == Behaviour::Struggling && (3..7).contains(&worst(p)))
        .chain(truth.iter())
        .next()
        .ok_or_else(|| Failure::Internal(anyhow::anyhow!("the simulation produced nobody")))?;
    let document = DocumentNumber::parse(person.document_type, &person.document_number)
        .map_err(|e| anyhow::anyhow!("simulated document invalid: {e}"))?;
    outln!(
        "3. one person's file: simulated behaviour \"{}\", worst status {}",
        format!("{:?}", person.behaviour).to_lowercase(),
        worst(person)
    );
    let report = bureau
        .produce_report(&ReportRequest { document: document.clone(), as_of: None, requester: Requester::Person })
        .map_err(crate::commands::classify)?;
    outln!();
    out!("{}", ob_bureau::render::text(&report));
    outln!();
    let checked = check_grid(&report, person);
    outln!("   grid check: {checked}");
    outln!();
    let authorization = lender_authorization(bureau, &document, person)?;
    outln!("Look further:");
    outln!("  openbureau {} report --doc-number {} --format json", places, document.expose());
    outln!(
        "  openbureau {places} explain --doc-number {}   # in plain words: what is recorded, and what never is",
        document.expose()
    );
    outln!(
        "  openbureau {places} report --doc-number {} --org {DEMO_LENDER} --reason 02   # a lender's inquiry, under authorization {authorization}",
        document.expose()
    );
    outln!(
        "  openbureau {} report --doc-number {} --as-of {}",
        places,
        document.expose(),
        report.header.as_of.saturating_sub(time::Duration::days(365))
    );
    let data = truth_path.parent().and_then(Path::parent).map_or_else(|| ".".into(), |p| p.display().to_string());
    outln!("  openbureau {places} ingest {data}/{FURNISHER_DIR}/HUABEI/*.jsonl   # sent again: a no-op");
    outln!("  openbureau {places} audit verify");
    outln!(
        "  furnisher files, ground truth: {data}/{FURNISHER_DIR}/   feedback on rejected records: {data}/{FEEDBACK_DIR}/"
    );
    Ok(person.clone())
}

/// Makes the demo lender (a lender and furnisher) and records the shown person's authorization
/// for it to ask for their report for a loan approval (02), the way `openbureau consent add`
/// does; returns the authorization's reference.
fn lender_authorization<S: Store>(
    bureau: &mut ob_bureau::Bureau<S>,
    document: &DocumentNumber,
    person: &PersonTruth,
) -> Result<String, Failure> {
    use ob_bureau::access::Role;
    use sha2::{Digest, Sha256};
    bureau
        .add_org(DEMO_LENDER, "演示银行 Demo Lender", &[Role::Lender, Role::Furnisher])
        .map_err(crate::commands::classify)?;
    // The kinds of the simulated lenders, by which the demo lender's copy names them.
    use ob_model::InstitutionType as T;
    let kinds = [("HUABEI", T::ConsumerFinance), ("ZSBANK", T::CommercialBank), ("XFLOAN", T::ConsumerFinance)];
    let kinds = kinds.into_iter().chain([("JSBANK", T::CommercialBank), ("HXAMC", T::AssetManagement)]);
    for (code, kind) in kinds.chain([(DEMO_LENDER, T::CommercialBank)]) {
        match bureau.set_org_type(code, kind) {
            // A small demo may have no file, so no organization, from some lender.
            Err(e) if e.refusal() == Some(ob_bureau::Refusal::UnknownOrganization) => {}
            other => other.map_err(crate::commands::classify)?,
        }
    }
    let form = format!("demo: person {} authorizes {DEMO_LENDER} to ask for a loan approval report", person.person);
    let expires = time::OffsetDateTime::now_utc().date().saturating_add(time::Duration::days(365));
    bureau
        .add_inquiry_consent(document, DEMO_LENDER, QueryReason::LoanApproval, expires, Sha256::digest(form).into())
        .map_err(crate::commands::classify)
}

/// Compares every month the simulation reported for the person with the report's history.
fn check_grid(report: &ob_bureau::report::Report, person: &PersonTruth) -> String {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    let accounts: Vec<_> = report.own_accounts().collect();
    for truth in &person.accounts {
        let Some(detail) =
            accounts.iter().find(|d| d.opened_on == truth.opened_on && d.account_type == truth.account_type)
        else {
            mismatches.push(format!("account {} missing", truth.account_key));
            continue;
        };
        for m in &truth.months {
            let shown = detail.history.iter().find(|h| h.month == m.month).map(|h| h.status);
            if shown.is_none() && m.month < detail.history.first().map_or(m.month, |h| h.month) {
                continue; // older than the 60-month window
            }
            compared += 1;
            if shown != Some(m.status) {
                mismatches.push(format!(
                    "{} {}: reported {} shown {}",
                    truth.account_key,
                    m.month,
                    m.status,
                    shown.map_or("none", RepaymentStatus::as_str)
                ));
            }
        }
    }
    if mismatches.is_empty() {
        format!("all {compared} reported months match the report's history")
    } else {
        format!("{} of {compared} months differ: {}", mismatches.len(), mismatches.join("; "))
    }
}
