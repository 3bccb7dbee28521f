//! Organizations' API keys: 32 random bytes shown once as hex; only their SHA-256 is kept.
//!
//! In this slice the key table lives in a JSON file given at startup and is held in memory
//! (`{"keys": [{"key_sha256": "…", "org_code": "HB", "roles": ["furnisher"]}]}`). Persistence in the
//! store arrives with the next slice.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Bytes of randomness in an API key.
pub const KEY_BYTES: usize = 32;

/// What an organization may do with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads batches about its own accounts.
    Furnisher,
    /// Requests reports with a purpose and the person's consent.
    Lender,
}

impl Role {
    /// The role named `furnisher` or `lender`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "furnisher" => Some(Role::Furnisher),
            "lender" => Some(Role::Lender),
            _ => None,
        }
    }
}

/// The organization a key belongs to, and its roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The organization's code (as in furnisher files and the store).
    pub org_code: String,
    /// Its roles.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the principal holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// One entry of the keys file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyEntry {
    /// SHA-256 of the key's hex text, in hex.
    pub key_sha256: String,
    /// The organization's code.
    pub org_code: String,
    /// Its roles.
    pub roles: Vec<Role>,
}

/// The keys file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KeyFile {
    /// Every key.
    pub keys: Vec<KeyEntry>,
}

/// Problems with the keys file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("keys file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a keys file.
    #[error("keys file: {0}")]
    Json(#[from] serde_json::Error),
    /// A digest is not 64 hex digits.
    #[error("keys file: entry {0} has a key_sha256 that is not 64 hex digits")]
    BadDigest(usize),
    /// An organization code is empty.
    #[error("keys file: entry {0} has an empty org_code")]
    EmptyOrg(usize),
    /// The randomness source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// The SHA-256 of a presented key.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Keys in memory, by digest: checking a key is one hash and one look-up.
#[derive(Clone, Debug, Default)]
pub struct KeyTable {
    by_digest: HashMap<[u8; 32], Principal>,
}

impl KeyTable {
    /// A table from a parsed keys file.
    pub fn from_file(file: &KeyFile) -> Result<KeyTable, KeyFileError> {
        let mut by_digest = HashMap::new();
        for (i, e) in file.keys.iter().enumerate() {
            let mut d = [0u8; 32];
            hex::decode_to_slice(&e.key_sha256, &mut d).map_err(|_| KeyFileError::BadDigest(i))?;
            if e.org_code.trim().is_empty() {
                return Err(KeyFileError::EmptyOrg(i));
            }
            by_digest.insert(d, Principal { org_code: e.org_code.clone(), roles: e.roles.clone() });
        }
        Ok(KeyTable { by_digest })
    }

    /// Loads the keys file; a missing file is an empty table.
    pub fn load(path: &Path) -> Result<KeyTable, KeyFileError> {
        KeyTable::from_file(&read_file(path)?)
    }

    /// Adds a key (tests and the demo).
    pub fn insert(&mut self, key: &str, principal: Principal) {
        self.by_digest.insert(digest(key), principal);
    }

    /// The principal of a presented key.
    pub fn lookup(&self, key: &str) -> Option<&Principal> {
        self.by_digest.get(&digest(key))
    }
}

fn read_file(path: &Path) -> Result<KeyFile, KeyFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(serde_json::from_str(&text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
        Err(e) => Err(e.into()),
    }
}

/// A new random key, as 64 hex digits.
pub fn new_key() -> Result<String, KeyFileError> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Creates a key for `org_code` with `roles`, appends its digest to the keys file (created when
/// missing) and returns the key: the only time it is seen.
pub fn create_key(path: &Path, org_code: &str, roles: &[Role]) -> Result<String, KeyFileError> {
    let mut file = read_file(path)?;
    if org_code.trim().is_empty() {
        return Err(KeyFileError::EmptyOrg(file.keys.len()));
    }
    let key = new_key()?;
    file.keys.push(KeyEntry {
        key_sha256: hex::encode(digest(&key)),
        org_code: org_code.to_owned(),
        roles: roles.to_vec(),
    });
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&file)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(key)
}
