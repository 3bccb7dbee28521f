//! Identifier protection: AES-256-GCM encryption and HMAC-SHA-256 blind indexes.
//!
//! One 32-byte master key, kept outside the database (a key file or the `OPENBUREAU_KEY`
//! environment variable), derives two sub-keys: one to encrypt names and document numbers, one
//! to compute keyed hashes for look-up. The store holds only ciphertexts and keyed hashes, plus a
//! key check value so that opening a store with the wrong key fails loudly instead of silently
//! creating a second file for every person.

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
/// First byte of every ciphertext: the envelope version.
const ENVELOPE_V1: u8 = 1;

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

impl Keys {
    /// Derives the keys from a master key.
    pub fn from_master(master: &[u8; KEY_BYTES]) -> Keys {
        let enc = derive(master, "openbureau/v1/encrypt");
        let cipher = Aes256Gcm::new_from_slice(&enc[..]).expect("AES-256 takes 32-byte keys");
        let seed = derive(master, "openbureau/v1/audit-signing");
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        Keys { cipher, mac_key: derive(master, "openbureau/v1/blind-index"), signing }
    }

    /// Signs an audit checkpoint message (Ed25519).
    pub fn sign_audit(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.signing.sign(message).to_bytes()
    }

    /// The public key that verifies audit checkpoints; publish it so outsiders can verify.
    pub fn audit_public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// Parses a master key written as 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Keys, KeyError> {
        let mut master = Zeroizing::new([0u8; KEY_BYTES]);
        hex::decode_to_slice(text.trim(), &mut master[..]).map_err(|_| KeyError::Format)?;
        Ok(Keys::from_master(&master))
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
        let mut master = Zeroizing::new([0u8; KEY_BYTES]);
        getrandom::fill(&mut master[..]).map_err(|e| KeyError::Random(e.to_string()))?;
        let text = Zeroizing::new(hex::encode(&master[..]) + "\n");
        write_private(path, text.as_bytes())
            .map_err(|source| KeyError::File { path: path.display().to_string(), source })?;
        Ok(Keys::from_master(&master))
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.mac_key[..]).expect("HMAC takes keys of any length");
        for p in parts {
            // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

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

    /// A value stored in the database to recognise the key that wrote it.
    pub fn check_value(&self) -> String {
        hex::encode(self.mac(&[b"key-check"]))
    }

    /// Encrypts `plain`, bound to `context` (e.g. which column), with a fresh random nonce.
    pub fn encrypt(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: context.as_bytes() })
            .map_err(|_| KeyError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(ENVELOPE_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Keys::encrypt`] produced with the same context.
    pub fn decrypt(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let (version, rest) = sealed.split_first().ok_or(KeyError::Decrypt)?;
        if *version != ENVELOPE_V1 || rest.len() < NONCE_BYTES {
            return Err(KeyError::Decrypt);
        }
        let (nonce, body) = rest.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| KeyError::Decrypt)?;
        self.cipher
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
    fn names_compare_normalized() {
        let keys = Keys::from_master(&[9; 32]);
        assert_eq!(keys.name_mac(" John  Smith "), keys.name_mac("JOHN SMITH"));
        assert_ne!(keys.name_mac("张三"), keys.name_mac("张四"));
    }
}
