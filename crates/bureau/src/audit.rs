//! The audit chains: every state change and every report produced is an event carrying the hash
//! of the one before it in its chain, so changing or removing any stored event breaks
//! verification from there on.
//!
//! A store keeps one chain or several ([`ob_store::Reader::audit_chains`]): SQLite one (it has one
//! writer), PostgreSQL sixteen, so that bureau workers appending side by side do not queue for one
//! head. A person's events go to chain `subject_id mod chains`, events about no one to chain 0.
//! Sequence numbers are unique across chains and increase within each; verification walks all
//! events in sequence order and checks each link within its chain. Signed checkpoints name the
//! head of every chain.
//!
//! The hash is SHA-256 over a fixed, documented encoding (see [`event_hash`]) so that anyone can
//! recompute it with standard tools. The chain is not part of it: an event moved to another chain
//! no longer links, in either.

use crate::crypto::Keys;
use ob_store::{AuditRow, CheckpointRow, OrgId, Reader, Result, SubjectId, Writer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Events read per round trip when verifying.
const VERIFY_PAGE_EVENTS: u32 = 10_000;

/// The hash of an event: SHA-256 of `"openbureau-audit-v1"`, then seq (u64 BE), at (i64 BE),
/// subject and org ids (i64 BE, -1 when absent), each length-prefixed (u64 BE) kind and detail,
/// then the previous hash.
pub fn event_hash(e: &AuditRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"openbureau-audit-v1");
    h.update(e.seq.to_be_bytes());
    h.update(e.at.to_be_bytes());
    h.update(e.subject_id.map_or(-1, |s| s.0).to_be_bytes());
    h.update(e.org_id.map_or(-1, |o| o.0).to_be_bytes());
    for part in [e.kind.as_bytes(), e.detail.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(e.prev_hash);
    h.finalize().into()
}

/// The chain of a person's events (chain 0 for events about no one).
pub fn chain_of(subject_id: Option<SubjectId>, chains: u32) -> u32 {
    match subject_id {
        Some(s) if chains > 1 => u32::try_from(s.0.rem_euclid(i64::from(chains))).unwrap_or(0),
        _ => 0,
    }
}

/// Appends an event to its chain inside the caller's transaction.
pub fn append(
    w: &mut dyn Writer,
    at: i64,
    kind: &str,
    subject_id: Option<SubjectId>,
    org_id: Option<OrgId>,
    detail: &serde_json::Value,
) -> Result<()> {
    let chain = chain_of(subject_id, w.audit_chains());
    // The chain's head first: on a store with several writers this holds the chain, so that the
    // sequence number taken next is above every one already in it.
    let prev_hash = w.audit_last(chain)?.map_or([0; 32], |l| l.hash);
    let seq = w.next_audit_seq()?;
    let mut event = AuditRow {
        seq,
        chain,
        at,
        kind: kind.to_owned(),
        subject_id,
        org_id,
        detail: detail.to_string(),
        prev_hash,
        hash: [0; 32],
    };
    event.hash = event_hash(&event);
    w.append_audit(&event)
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every event links to the one before and hashes to its stored hash.
    Intact {
        /// Events checked.
        events: u64,
    },
    /// The first event that does not verify.
    Broken {
        /// Its sequence number.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Walks every event in sequence order, checking each link within its chain.
pub fn verify(r: &dyn Reader) -> Result<Verification> {
    let (mut after, mut events) = (0u64, 0u64);
    let mut heads: HashMap<u32, [u8; 32]> = HashMap::new();
    loop {
        let page = r.audit_after(after, VERIFY_PAGE_EVENTS)?;
        if page.is_empty() {
            return Ok(Verification::Intact { events });
        }
        for e in page {
            let broken = |reason: &str| Ok(Verification::Broken { seq: e.seq, reason: reason.to_owned() });
            if e.seq <= after {
                return broken("out of sequence order");
            }
            if e.prev_hash != heads.get(&e.chain).copied().unwrap_or([0; 32]) {
                return broken("does not link to the previous event");
            }
            if event_hash(&e) != e.hash {
                return broken("content does not match its hash");
            }
            heads.insert(e.chain, e.hash);
            (after, events) = (e.seq, events + 1);
        }
    }
}

/// The message a checkpoint signs: `"openbureau-checkpoint-v1"`, seq (u64 BE), at (i64 BE), hash.
pub fn checkpoint_message(seq: u64, at: i64, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = b"openbureau-checkpoint-v1".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&at.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

/// Signs the head of every chain not signed yet; returns the newest sequence number signed, or
/// `None` when there is no event.
pub fn checkpoint(w: &mut dyn Writer, keys: &Keys, at: i64) -> Result<Option<u64>> {
    checkpoint_as(w, &|m| keys.sign_audit(m), keys.signing_public_key(), at)
}

/// [`checkpoint`] with any signer: a key rotation's last checkpoint under the key it leaves.
pub fn checkpoint_as(
    w: &mut dyn Writer,
    sign: &dyn Fn(&[u8]) -> [u8; 64],
    public_key: [u8; 32],
    at: i64,
) -> Result<Option<u64>> {
    let signed: Vec<u64> = w.audit_checkpoints()?.iter().map(|c| c.seq).collect();
    let mut newest = None;
    for chain in 0..w.audit_chains() {
        let Some(last) = w.audit_last(chain)? else { continue };
        newest = newest.max(Some(last.seq));
        if signed.contains(&last.seq) {
            continue;
        }
        let signature = sign(&checkpoint_message(last.seq, at, &last.hash)).to_vec();
        w.insert_checkpoint(&CheckpointRow { seq: last.seq, at, hash: last.hash, public_key, signature })?;
    }
    Ok(newest)
}

/// Kind of the event a key rotation appends: its detail names the audit public keys left and
/// taken (hex) and holds the new key's signature of [`key_rotation_message`], by which
/// [`verify_checkpoints`] trusts the old key's checkpoints made before the event.
pub const KEY_ROTATED: &str = "key.rotated";

/// What the new key signs at a rotation: `"openbureau-key-rotated-v1"`, the old public key, the
/// new one.
pub fn key_rotation_message(old: &[u8; 32], new: &[u8; 32]) -> Vec<u8> {
    let mut m = b"openbureau-key-rotated-v1".to_vec();
    m.extend_from_slice(old);
    m.extend_from_slice(new);
    m
}

/// Checks every checkpoint: signed by `public_key`, or by a key it succeeded in a rotation (see
/// [`KEY_ROTATED`]) at a sequence number before that rotation, and naming the hash the chain
/// holds at its sequence number. `None` when all hold.
pub fn verify_checkpoints(r: &dyn Reader, public_key: &[u8; 32]) -> Result<Option<Verification>> {
    use ed25519_dalek::Verifier;
    let checkpoints = r.audit_checkpoints()?;
    let trusted = if checkpoints.iter().all(|c| c.public_key == *public_key) {
        vec![(*public_key, u64::MAX)]
    } else {
        trusted_keys(r, public_key)?
    };
    for c in &checkpoints {
        let broken = |reason: &str| Ok(Some(Verification::Broken { seq: c.seq, reason: reason.to_owned() }));
        if !trusted.iter().any(|(k, before)| *k == c.public_key && c.seq < *before) {
            return broken("checkpoint signed by another key");
        }
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&c.public_key) else {
            return broken("invalid audit public key");
        };
        let Ok(signature) = ed25519_dalek::Signature::try_from(c.signature.as_slice()) else {
            return broken("checkpoint signature malformed");
        };
        if key.verify(&checkpoint_message(c.seq, c.at, &c.hash), &signature).is_err() {
            return broken("checkpoint signature does not verify");
        }
        let event = r.audit_after(c.seq.saturating_sub(1), 1)?;
        if event.first().is_none_or(|e| e.seq != c.seq || e.hash != c.hash) {
            return broken("the chain no longer holds the checkpointed event");
        }
    }
    Ok(None)
}

/// A rotation read from its `key.rotated` event: (its sequence number, the old key, the new
/// key), when the new key's signature of the pair holds. An event appended by someone without
/// the new key vouches for nothing.
fn signed_rotation(e: &AuditRow) -> Option<(u64, [u8; 32], [u8; 32])> {
    use ed25519_dalek::Verifier;
    let detail: serde_json::Value = serde_json::from_str(&e.detail).ok()?;
    let bytes = |name: &str, out: &mut [u8]| detail[name].as_str().and_then(|h| hex::decode_to_slice(h, out).ok());
    let (mut old, mut new, mut signature) = ([0u8; 32], [0u8; 32], [0u8; 64]);
    bytes("previous_audit_public_key", &mut old)?;
    bytes("audit_public_key", &mut new)?;
    bytes("signature", &mut signature)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&new).ok()?;
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    key.verify(&key_rotation_message(&old, &new), &signature).ok()?;
    Some((e.seq, old, new))
}

/// The keys checkpoints may be signed by, each with the sequence number its trust ends before:
/// `public_key` for all, and every key a trusted key succeeded, for the events before the
/// rotation that replaced it.
fn trusted_keys(r: &dyn Reader, public_key: &[u8; 32]) -> Result<Vec<([u8; 32], u64)>> {
    let mut rotations = Vec::new();
    let mut after = 0;
    loop {
        let page = r.audit_after(after, VERIFY_PAGE_EVENTS)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        rotations.extend(page.iter().filter(|e| e.kind == KEY_ROTATED).filter_map(signed_rotation));
    }
    let mut trusted = vec![(*public_key, u64::MAX)];
    while let Some(&(seq, old, _)) = rotations.iter().find(|(seq, old, new)| {
        trusted.iter().any(|(k, before)| k == new && seq < before) && !trusted.iter().any(|(k, _)| k == old)
    }) {
        trusted.push((old, seq));
    }
    Ok(trusted)
}
