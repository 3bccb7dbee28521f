//! Identifier protection: AES-256-GCM encryption and HMAC-SHA-256 blind indexes.
//!
//! One 32-byte master key, kept outside the database (a key file or the `OPENBUREAU_KEY`
//! environment variable), derives two sub-keys: one to encrypt names and document numbers, one
//! to compute keyed hashes for look-up. The store holds only ciphertexts and keyed hashes, plus a
//! key check value so that opening a store with the wrong key fails loudly instead of silently
//! creating a second file for every person.
//!
//! Keys have versions (1 to 255). A key file holds one key, 64 hex digits (version 1), or during a
//! rotation (`openbureau key rotate`) two lines `VERSION:HEX`: the newest is the one everything
//! is written under, the other only opens what is not rewritten yet. The first byte of every
//! ciphertext is the version of the key that sealed it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use ob_model::{DocumentNumber, DocumentType};
use sha2::Sha256;
use std::path::Path;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the master key.
pub const KEY_BYTES: usize = 32;
/// Bytes of an AES-GCM nonce.
const NONCE_BYTES: usize = 12;
/// Key problems.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key text is not 64 hexadecimal digits.
    #[error("a key is 64 hexadecimal digits (32 bytes)")]
    Format,
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    File {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// A ciphertext failed authentication: wrong key or tampered data.
    #[error("ciphertext does not authenticate under this key")]
    Decrypt,
    /// A key file's versions are not one or two distinct versions from 1 to 255.
    #[error("a key file holds one key, or two as VERSION:HEX lines of distinct versions 1 to 255")]
    Versions,
}

/// The derived keys.
///
/// Cleared from memory when dropped (the `zeroize` features of aes-gcm, hmac, sha2 and
/// ed25519-dalek, checked at compile time below):
///
/// - the encryption key's AES-256 round keys and the GHASH key derived from it (`aes`, `polyval`);
/// - the blind-index key's bytes (`Zeroizing`), and the keyed SHA-256 states and block buffer of
///   every HMAC computed with it or with the master key (`sha2`, `block-buffer`);
/// - the audit signing key's seed, and the expanded secret scalar and nonce prefix made for each
///   signature (`ed25519-dalek`, the same feature);
/// - the master key, its hex text read by [`Keys::load`] and the derived keys' bytes while the
///   keys are being made (`Zeroizing`).
///
/// Not cleared: temporary copies left on the stack or in registers while these are built (e.g.
/// the padded key block inside `Hmac::new_from_slice`, a MAC's output before it is wrapped), and a
/// key text the caller hands to [`Keys::from_hex`] (the caller's to clear).
pub struct Keys {
    current: KeySet,
    /// The key a rotation is leaving: opens what is not rewritten yet, and seals while the
    /// store is not yet marked for the rotation (`seal_previous`).
    previous: Option<KeySet>,
    /// Whether to seal, index and sign with `previous`: a server holding both keys before the
    /// rotation has marked the store writes as those holding only the old key do, so that no
    /// writer finds a person under another index than the one it files them under. Set for each
    /// write transaction from the store's key check value.
    seal_previous: std::sync::atomic::AtomicBool,
}

/// The keys derived from one master key of one version.
struct KeySet {
    version: u8,
    cipher: Aes256Gcm,
    mac_key: Zeroizing<[u8; 32]>,
    signing: ed25519_dalek::SigningKey,
}

/// What `Keys` holds is cleared on drop: fails to compile if a `zeroize` feature goes missing.
const fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
const _: () = {
    zeroized_on_drop::<Aes256Gcm>();
    zeroized_on_drop::<Zeroizing<[u8; 32]>>();
    zeroized_on_drop::<ed25519_dalek::SigningKey>();
    zeroized_on_drop::<Sha256>(); // and so HMAC-SHA-256's keyed states, which are SHA-256 cores
};

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

fn derive(master: &[u8; KEY_BYTES], label: &str) -> Zeroizing<[u8; 32]> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(master).expect("HMAC takes keys of any length");
    mac.update(label.as_bytes());
    Zeroizing::new(mac.finalize().into_bytes().into())
}

impl KeySet {
    fn new(version: u8, master: &[u8; KEY_BYTES]) -> KeySet {
        let enc = derive(master, "openbureau/v1/encrypt");
        let cipher = Aes256Gcm::new_from_slice(&enc[..]).expect("AES-256 takes 32-byte keys");
        let seed = derive(master, "openbureau/v1/audit-signing");
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        KeySet { version, cipher, mac_key: derive(master, "openbureau/v1/blind-index"), signing }
    }
}

/// One key of a key file: its version, master key and line.
type KeyLine<'t> = (u8, Zeroizing<[u8; KEY_BYTES]>, &'t str);

/// The keys of a key file's text, newest first (surrounding whitespace and blank lines ignored).
fn key_lines(text: &str) -> Result<Vec<KeyLine<'_>>, KeyError> {
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (version, master) = parse_line(line)?;
        lines.push((version, master, line));
    }
    lines.sort_by_key(|(v, _, _)| std::cmp::Reverse(*v));
    Ok(lines)
}

/// One line of a key file: `HEX` (version 1) or `VERSION:HEX`.
fn parse_line(line: &str) -> Result<(u8, Zeroizing<[u8; KEY_BYTES]>), KeyError> {
    let (version, hex_text) = match line.split_once(':') {
        Some((v, h)) => (v.trim().parse::<u8>().map_err(|_| KeyError::Versions)?, h),
        None => (1, line),
    };
    if version == 0 {
        return Err(KeyError::Versions);
    }
    let mut master = Zeroizing::new([0u8; KEY_BYTES]);
    hex::decode_to_slice(hex_text.trim(), &mut master[..]).map_err(|_| KeyError::Format)?;
    Ok((version, master))
}

impl Keys {
    /// Derives the keys from a master key (version 1).
    pub fn from_master(master: &[u8; KEY_BYTES]) -> Keys {
        Keys { current: KeySet::new(1, master), previous: None, seal_previous: false.into() }
    }

    /// Derives the keys from a master key of `version` (1 to 255), with the key a rotation is
    /// leaving when there is one.
    pub fn with_versions(
        current: (u8, &[u8; KEY_BYTES]),
        previous: Option<(u8, &[u8; KEY_BYTES])>,
    ) -> Result<Keys, KeyError> {
        if current.0 == 0 || previous.is_some_and(|p| p.0 == 0 || p.0 == current.0) {
            return Err(KeyError::Versions);
        }
        Ok(Keys {
            current: KeySet::new(current.0, current.1),
            previous: previous.map(|(v, m)| KeySet::new(v, m)),
            seal_previous: false.into(),
        })
    }

    /// The version everything is sealed under.
    pub fn version(&self) -> u8 {
        self.current.version
    }

    /// The version a rotation is leaving, if one is under way.
    pub fn previous_version(&self) -> Option<u8> {
        self.previous.as_ref().map(|p| p.version)
    }

    /// Seals, indexes and signs with the key a rotation is leaving (`true`), or with the newest.
    pub fn seal_with_previous(&self, previous: bool) {
        self.seal_previous.store(previous && self.previous.is_some(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The keys that seal, index and sign now.
    fn active(&self) -> &KeySet {
        match &self.previous {
            Some(p) if self.seal_previous.load(std::sync::atomic::Ordering::Relaxed) => p,
            _ => &self.current,
        }
    }

    /// The version values are sealed under now (the newest, but for [`Keys::seal_with_previous`]).
    pub fn sealing_version(&self) -> u8 {
        self.active().version
    }

    /// Signs an audit checkpoint message (Ed25519) with the keys that sign now.
    pub fn sign_audit(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.active().signing.sign(message).to_bytes()
    }

    /// The public key of [`Keys::sign_audit`]'s signatures.
    pub fn signing_public_key(&self) -> [u8; 32] {
        self.active().signing.verifying_key().to_bytes()
    }

    /// Signs with the newest key whatever [`Keys::seal_with_previous`] says (a rotation's
    /// statement that it succeeds the old key).
    pub fn sign_with_newest(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.current.signing.sign(message).to_bytes()
    }

    /// Signs with the key a rotation is leaving (its last checkpoint); `None` without one.
    pub fn sign_audit_previous(&self, message: &[u8]) -> Option<[u8; 64]> {
        use ed25519_dalek::Signer;
        self.previous.as_ref().map(|p| p.signing.sign(message).to_bytes())
    }

    /// The public key that verifies audit checkpoints; publish it so outsiders can verify.
    pub fn audit_public_key(&self) -> [u8; 32] {
        self.current.signing.verifying_key().to_bytes()
    }

    /// The public key of the key a rotation is leaving.
    pub fn previous_audit_public_key(&self) -> Option<[u8; 32]> {
        self.previous.as_ref().map(|p| p.signing.verifying_key().to_bytes())
    }

    /// Parses a key file's text: one key as 64 hex digits (version 1), or `VERSION:HEX` lines,
    /// one or two (surrounding whitespace and blank lines ignored). The highest version seals.
    pub fn from_hex(text: &str) -> Result<Keys, KeyError> {
        match key_lines(text)?.as_slice() {
            [(v, m, _)] => Keys::with_versions((*v, m), None),
            [(v, m, _), (pv, pm, _)] => Keys::with_versions((*v, m), Some((*pv, pm))),
            [] => Err(KeyError::Format),
            _ => Err(KeyError::Versions),
        }
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Keys, KeyError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|source| KeyError::File { path: path.display().to_string(), source })?,
        );
        Keys::from_hex(&text)
    }

    /// Makes a new random master key, writes it to `path` (owner-only permissions) and returns it.
    pub fn generate(path: &Path) -> Result<Keys, KeyError> {
        let master = random_master()?;
        let text = Zeroizing::new(hex::encode(&master[..]) + "\n");
        write_private(path, text.as_bytes())
            .map_err(|source| KeyError::File { path: path.display().to_string(), source })?;
        Ok(Keys::from_master(&master))
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac_with(&self.active().mac_key, parts)
    }

    /// The blind indexes a document may be found under: mid-rotation the one of the key being
    /// left first (a row the walk moves between two look-ups is then found by the second), then
    /// the newest key's.
    pub fn document_macs(&self, document: &DocumentNumber) -> Vec<[u8; 32]> {
        let parts: [&[u8]; 3] = [b"document", document.doc_type().as_str().as_bytes(), document.expose().as_bytes()];
        let mut macs: Vec<[u8; 32]> =
            self.previous.as_ref().map(|p| mac_with(&p.mac_key, &parts)).into_iter().collect();
        macs.push(mac_with(&self.current.mac_key, &parts));
        macs
    }

    /// The blind index of a name under the key of `version` (the one its row was sealed with).
    pub fn name_mac_of_version(&self, version: u8, name: &str) -> Result<[u8; 32], KeyError> {
        Ok(mac_with(&self.set(version)?.mac_key, &[b"name", normalize_name(name).as_bytes()]))
    }

    /// The version that sealed `sealed` (its first byte).
    pub fn sealed_version(sealed: &[u8]) -> Option<u8> {
        sealed.first().copied()
    }

    fn set(&self, version: u8) -> Result<&KeySet, KeyError> {
        if version == self.current.version {
            return Ok(&self.current);
        }
        self.previous.as_ref().filter(|p| p.version == version).ok_or(KeyError::Decrypt)
    }
}

fn mac_with(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&key[..]).expect("HMAC takes keys of any length");
    for p in parts {
        // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn random_master() -> Result<Zeroizing<[u8; KEY_BYTES]>, KeyError> {
    let mut master = Zeroizing::new([0u8; KEY_BYTES]);
    getrandom::fill(&mut master[..]).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(master)
}

impl Keys {
    /// The blind index of a document: the look-up key of a person's file.
    pub fn document_mac(&self, document: &DocumentNumber) -> [u8; 32] {
        self.mac(&[b"document", document.doc_type().as_str().as_bytes(), document.expose().as_bytes()])
    }

    /// The blind index of a name, compared to detect a document used under another name.
    pub fn name_mac(&self, name: &str) -> [u8; 32] {
        self.mac(&[b"name", normalize_name(name).as_bytes()])
    }

    /// The code the copy of the querying institution `querier` gives a lender `org` it hides
    /// (four letters, "ABCD"): the same in every report that institution gets, another for every
    /// other institution (so that lenders cannot pool what they learn of the codes), and telling
    /// nothing of the lender without the key.
    pub fn institution_code(&self, querier: i64, org: i64) -> String {
        let mac = self.mac(&[b"institution-code", &querier.to_be_bytes(), &org.to_be_bytes()]);
        mac[..4].iter().map(|b| char::from(b'A' + b % 26)).collect()
    }

    /// The reference reports give a credit agreement: `G` and 12 hex digits of a MAC of its
    /// lender and key, so that no one without the bureau's key can test a guess of a lender's
    /// contract number against it. It changes with a key rotation (disputes store the agreement,
    /// not its reference).
    pub fn agreement_ref(&self, org: i64, agreement_key: &str) -> String {
        let mac = self.mac(&[b"agreement-ref", &org.to_be_bytes(), agreement_key.as_bytes()]);
        format!("G{}", hex::encode(&mac[..6]))
    }

    /// A reference of the bureau's (`A12`, `Q7`, `A12.S2`, `G…`) as one lender's copy shows it:
    /// `prefix` and 12 hex digits of a MAC of the lender and the reference, the same in every
    /// report that lender gets, another for every other lender, and nothing without the key — so
    /// that two lenders comparing copies cannot link what one names to the code the other sees.
    pub fn lender_ref(&self, org: i64, prefix: char, reference: &str) -> String {
        let mac = self.mac(&[b"lender-ref", &org.to_be_bytes(), reference.as_bytes()]);
        format!("{prefix}{}", hex::encode(&mac[..6]))
    }

    /// A value stored in the database to recognise the key that wrote it.
    pub fn check_value(&self) -> String {
        hex::encode(mac_with(&self.current.mac_key, &[b"key-check"]))
    }

    /// The text of the key file `rotation_file` (two keys) once the rotation is done: the newer
    /// key alone.
    pub fn newest_key_file(rotation_file: &str) -> Result<Zeroizing<String>, KeyError> {
        let lines = key_lines(rotation_file)?;
        let (_, _, newest) = lines.first().ok_or(KeyError::Format)?;
        Ok(Zeroizing::new(format!("{newest}\n")))
    }

    /// The check value of the key a rotation is leaving.
    pub fn previous_check_value(&self) -> Option<String> {
        self.previous.as_ref().map(|p| hex::encode(mac_with(&p.mac_key, &[b"key-check"])))
    }

    /// The text of a key file holding `self`'s current key and a new random one of the next
    /// version (the rotation's file), and the text holding the new one alone (the file once the
    /// rotation is done). Refused mid-rotation and at version 255.
    pub fn next_version_files(current_file: &str) -> Result<(Zeroizing<String>, Zeroizing<String>), KeyError> {
        let lines = key_lines(current_file)?;
        let [(version, master, _)] = lines.as_slice() else { return Err(KeyError::Versions) };
        let next = version.checked_add(1).ok_or(KeyError::Versions)?;
        let new_master = random_master()?;
        let old_line = Zeroizing::new(format!("{version}:{}", hex::encode(&master[..])));
        let new_line = Zeroizing::new(format!("{next}:{}", hex::encode(&new_master[..])));
        Ok((Zeroizing::new(format!("{}\n{}\n", *old_line, *new_line)), Zeroizing::new(format!("{}\n", *new_line))))
    }

    /// Encrypts `plain`, bound to `context` (e.g. which column), with a fresh random nonce.
    pub fn encrypt(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
        let set = self.active();
        let sealed = set
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: context.as_bytes() })
            .map_err(|_| KeyError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(set.version);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Keys::encrypt`] produced with the same context, under the key of the
    /// version it names (the current one, or the one a rotation is leaving).
    pub fn decrypt(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let (version, rest) = sealed.split_first().ok_or(KeyError::Decrypt)?;
        if rest.len() < NONCE_BYTES {
            return Err(KeyError::Decrypt);
        }
        let set = self.set(*version)?;
        let (nonce, body) = rest.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| KeyError::Decrypt)?;
        set.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Decrypt)
    }

    /// Encrypts a text.
    pub fn encrypt_text(&self, context: &str, text: &str) -> Result<Vec<u8>, KeyError> {
        self.encrypt(context, text.as_bytes())
    }

    /// Decrypts a text.
    pub fn decrypt_text(&self, context: &str, sealed: &[u8]) -> Result<String, KeyError> {
        let plain = self.decrypt(context, sealed)?;
        String::from_utf8(plain.to_vec()).map_err(|_| KeyError::Decrypt)
    }
}

/// The encryption context of a document number of this type.
pub fn document_context(doc_type: DocumentType) -> String {
    format!("document:{}", doc_type.as_str())
}

/// The encryption context of names.
pub const NAME_CONTEXT: &str = "subject:name";

/// Names compare after trimming, collapsing inner white space and upper-casing Latin letters.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// Replaces the key file at `path` with `text`, owner-only, atomically: a crash leaves the old
/// file or the new one, never a part of either.
pub fn replace_key_file(path: &Path, text: &str) -> Result<(), KeyError> {
    let file_error = |source| KeyError::File { path: path.display().to_string(), source };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, text.as_bytes()).map_err(file_error)?;
    std::fs::rename(&tmp, path).map_err(file_error)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(file_error)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_with_fresh_nonces_and_binds_context() {
        let keys = Keys::from_master(&[9; 32]);
        let a = keys.encrypt_text("ctx", "张三").unwrap();
        let b = keys.encrypt_text("ctx", "张三").unwrap();
        assert_ne!(a, b, "random nonces");
        assert_eq!(keys.decrypt_text("ctx", &a).unwrap(), "张三");
        assert!(keys.decrypt_text("other", &a).is_err());
        let other = Keys::from_master(&[8; 32]);
        assert!(other.decrypt_text("ctx", &a).is_err());
        assert_ne!(keys.check_value(), other.check_value());
    }

    #[test]
    fn key_files_hold_versions_and_ciphertexts_name_theirs() {
        let (a, b) = (hex::encode([1u8; 32]), hex::encode([2u8; 32]));
        let v1 = Keys::from_hex(&a).unwrap();
        assert_eq!((v1.version(), v1.previous_version()), (1, None));
        let sealed_v1 = v1.encrypt_text("ctx", "张三").unwrap();
        assert_eq!(sealed_v1[0], 1, "a bare key is version 1, as every store before versions");
        // A rotation's file: the newer seals, both open.
        let ring = Keys::from_hex(&format!("\n2:{b}\n1:{a}\n")).unwrap();
        assert_eq!((ring.version(), ring.previous_version()), (2, Some(1)));
        assert_eq!(ring.decrypt_text("ctx", &sealed_v1).unwrap(), "张三");
        let sealed_v2 = ring.encrypt_text("ctx", "李四").unwrap();
        assert_eq!(sealed_v2[0], 2);
        assert!(v1.decrypt_text("ctx", &sealed_v2).is_err(), "the old key alone opens nothing new");
        assert_eq!(ring.previous_check_value(), Some(v1.check_value()));
        assert_eq!(ring.previous_audit_public_key(), Some(v1.audit_public_key()));
        assert_ne!(ring.audit_public_key(), v1.audit_public_key());
        let newest = Keys::newest_key_file(&format!("1:{a}\n2:{b}\n")).unwrap();
        assert_eq!(*newest, format!("2:{b}\n"));
        for bad in [format!("1:{a}\n1:{b}"), format!("0:{a}"), format!("1:{a}\n2:{b}\n3:{a}"), format!("x:{a}")] {
            assert!(matches!(Keys::from_hex(&bad), Err(KeyError::Versions)), "{bad}");
        }
        assert!(matches!(Keys::from_hex(""), Err(KeyError::Format)));
    }

    #[test]
    fn a_rotation_file_adds_the_next_version() {
        let a = hex::encode([1u8; 32]);
        let (both, alone) = Keys::next_version_files(&a).unwrap();
        let ring = Keys::from_hex(&both).unwrap();
        assert_eq!((ring.version(), ring.previous_version()), (2, Some(1)));
        assert_eq!(Keys::from_hex(&alone).unwrap().check_value(), ring.check_value());
        assert!(both.starts_with(&format!("1:{a}\n2:")));
        assert!(matches!(Keys::next_version_files(&format!("255:{a}")), Err(KeyError::Versions)), "no version 256");
        assert!(matches!(Keys::next_version_files(&both), Err(KeyError::Versions)), "not mid-rotation");
    }

    #[test]
    fn names_compare_normalized() {
        let keys = Keys::from_master(&[9; 32]);
        assert_eq!(keys.name_mac(" John  Smith "), keys.name_mac("JOHN SMITH"));
        assert_ne!(keys.name_mac("张三"), keys.name_mac("张四"));
    }
}
