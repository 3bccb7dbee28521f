//! `openbureau demo --serve`: after the demo, a demo lender holding the shown person's
//! authorization, a furnisher key, an operator key and the person's web sign-in, printed once,
//! then the server.

use crate::Failure;
use crate::commands::classify;
use crate::open::{Context, system_clock};
use anyhow::Context as _;
use ob_bureau::access::{Role, hash_password};
use ob_bureau::ingest::IngestOptions;
use ob_model::DocumentNumber;
use ob_sim::PersonTruth;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// The demo lender's code.
const LENDER: &str = crate::demo::DEMO_LENDER;
/// The furnisher whose key the demo prints (the Huabei-like line of the simulator).
const FURNISHER: &str = "HUABEI";
/// The reference of the demo lender's authorization from the person.
const CONSENT_REF: &str = "DEMO-AUTH-02";

/// Sets up the demo's principals and serves until Ctrl-C.
pub fn run(ctx: &Context, person: &PersonTruth, listen: SocketAddr) -> Result<(), Failure> {
    let mut bureau = ctx.bureau(false, system_clock())?;
    let document = DocumentNumber::parse(person.document_type, &person.document_number)
        .map_err(|e| anyhow::anyhow!("simulated document invalid: {e}"))?;
    let (consents, evidence) = lender_consents(person)?;
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: true,
        cached_max: None,
        prefetch: None,
    };
    let digest: [u8; 32] = Sha256::digest(consents.as_bytes()).into();
    let summary =
        bureau.ingest_jsonl(consents.as_bytes(), digest, &options, &mut Vec::new(), &mut |_| {}).map_err(classify)?;
    if summary.rejected > 0 {
        return Err(anyhow::anyhow!("the demo lender's consents were rejected").into());
    }
    bureau.add_org(LENDER, "演示银行 Demo Lender", &[Role::Lender, Role::Furnisher]).map_err(classify)?;
    bureau.add_org(FURNISHER, "", &[Role::Furnisher]).map_err(classify)?;
    let lender_key = bureau.issue_key(Some(LENDER), "demo").map_err(classify)?;
    let furnisher_key = bureau.issue_key(Some(FURNISHER), "demo").map_err(classify)?;
    let admin_key = bureau.issue_key(None, "demo").map_err(classify)?;
    let password = random_password()?;
    bureau.set_password(&document, &hash_password(&password).map_err(classify)?).map_err(classify)?;
    let base = format!("http://{listen}");
    outln!();
    outln!("4. serving the bureau on {base} (Ctrl-C stops). Demo credentials, shown once:");
    outln!("   person  — sign in at {base}/  document {} / password {password}", document.expose());
    outln!("   lender  {LENDER}: {lender_key}");
    outln!("   furnisher {FURNISHER}: {furnisher_key}");
    outln!("   operator: {admin_key}");
    outln!("   try:");
    outln!(
        "   curl -s -H 'Authorization: Bearer {lender_key}' {base}/v1/reports -d '{{\"document_type\":\"{}\",\"document_number\":\"{}\",\"purpose\":\"02\",\"authorization_sha256\":\"{}\"}}'",
        person.document_type.as_str(),
        document.expose(),
        hex::encode(evidence)
    );
    outln!("   curl -s -H 'Authorization: Bearer {furnisher_key}' {base}/v1/batches");
    outln!("   curl -s -H 'Authorization: Bearer {admin_key}' {base}/v1/admin/orgs");
    outln!("   curl -s {base}/v1/openapi.json");
    drop(bureau);
    crate::serve::serve(
        ctx,
        &crate::serve::ServeArgs {
            listen,
            rate_per_key: 5_000,
            burst_per_key: 10_000,
            secure_cookies: false,
            workers: None,
        },
    )
}

/// A canonical JSON-lines batch from the demo lender: the person's authorization to look at
/// their file for loan approval. Returns the file and the authorization document's SHA-256.
fn lender_consents(person: &PersonTruth) -> Result<(String, [u8; 32]), Failure> {
    let evidence: [u8; 32] = Sha256::digest(format!("demo authorization {CONSENT_REF}").as_bytes()).into();
    let today = time::OffsetDateTime::now_utc().date();
    let expires = today.replace_year(today.year() + 1).context("a year from today")?;
    let header = serde_json::json!({"kind": "header", "format": "openbureau.jsonl", "version": 1,
        "furnisher": LENDER, "furnisher_name": "演示银行 Demo Lender"});
    let subject = serde_json::json!({"name": person.name, "birth_date": person.birth_date.to_string(),
        "document": {"type": person.document_type.as_str(), "number": person.document_number}});
    let consent = serde_json::json!({"kind": "consent", "subject": subject, "scope": "inquire", "purpose": "02",
        "consent_ref": CONSENT_REF, "granted_on": today.to_string(), "expires_on": expires.to_string(),
        "evidence_sha256": hex::encode(evidence)});
    Ok((format!("{header}\n{consent}\n"), evidence))
}

fn random_password() -> Result<String, Failure> {
    let mut bytes = [0u8; 9];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}
