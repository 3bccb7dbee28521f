//! Who may reach the bureau: organizations' roles, API keys (organizations' and operators'), and
//! people's passwords for the web page.
//!
//! An API key is 32 random bytes shown once as 64 hex digits; the store keeps only its SHA-256, so
//! checking a key is one hash and one indexed look-up (a high-entropy key needs no slow hash).
//! A person's password is kept as an argon2id hash. Issuing and revoking keys, setting roles and
//! setting a password are audit events; the events never hold a key or a password.

use crate::{Bureau, BureauError, Refusal, Result, audit};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use ob_model::{DocumentNumber, limits};
use ob_store::{ApiKeyRow, OrgId, OrgRow, PersonLoginRow, Reader, Store, SubjectId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes of randomness in an API key.
pub const KEY_BYTES: usize = 32;

/// What a principal may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads batches about its own accounts.
    Furnisher,
    /// Requests reports with a purpose and the person's consent.
    Lender,
    /// Runs the bureau: organizations and keys. Only operators' keys hold it.
    Admin,
}

impl Role {
    /// The role named `furnisher`, `lender` or `admin`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "furnisher" => Some(Role::Furnisher),
            "lender" => Some(Role::Lender),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Furnisher => "furnisher",
            Role::Lender => "lender",
            Role::Admin => "admin",
        }
    }
}

/// Whoever a key belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The organization; `None` for an operator.
    pub org_id: Option<OrgId>,
    /// The organization's code; empty for an operator.
    pub org_code: String,
    /// What it may do.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the principal holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// An organization, for listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgView {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its roles.
    pub roles: Vec<Role>,
}

/// The SHA-256 of a presented key's text.
pub fn key_digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Parses a stored roles column.
fn parse_roles(column: &str) -> Vec<Role> {
    column.split(',').filter_map(Role::parse).filter(|r| *r != Role::Admin).collect()
}

/// The organization with this code, or an `UNKNOWN_ORGANIZATION` refusal that names the code
/// given (cut to the longest code) and the codes on file (the first
/// [`limits::ORG_CODES_LISTED_MAX`], sorted).
pub(crate) fn org_by_code(r: &dyn Reader, code: &str) -> Result<OrgRow> {
    if let Some(org) = r.org_by_code(code)? {
        return Ok(org);
    }
    let mut given: String = code.chars().take(limits::ORG_CODE_CHARS_MAX).collect();
    if given.len() < code.len() {
        given.push('…');
    }
    let mut codes: Vec<String> = r.orgs()?.into_iter().map(|o| o.code).collect();
    codes.sort_unstable();
    let on_file = match codes.len() {
        0 => "no organization is registered".to_owned(),
        n if n <= limits::ORG_CODES_LISTED_MAX => format!("the codes on file: {}", codes.join(", ")),
        n => format!("the codes on file: {}… ({n} in all)", codes[..limits::ORG_CODES_LISTED_MAX].join(", ")),
    };
    Err(BureauError::refused(
        Refusal::UnknownOrganization,
        format!("no organization has the code {given:?}; {on_file}"),
    ))
}

/// A new random key, as 64 hex digits.
fn new_key() -> Result<String> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| crate::crypto::KeyError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The argon2id hash of a person's password, in PHC form. Slow on purpose (tens of
/// milliseconds): call it outside any lock.
pub fn hash_password(password: &str) -> Result<String> {
    check_password_rules(password)?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| BureauError::refused(Refusal::PasswordInvalid, "the password could not be hashed"))
}

/// Whether `password` matches the PHC hash. Slow on purpose: call it outside any lock.
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.len() > limits::PASSWORD_BYTES_MAX {
        return false;
    }
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok()
}

/// A real argon2id hash of a random password nobody knows, made once: verified against when a
/// document has no sign-in, so that the answer takes as long as for a wrong password (no telling
/// who has a login).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let secret = new_key().unwrap_or_else(|_| "decoy-without-randomness".repeat(2));
        argon2::Argon2::default().hash_password(secret.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
    })
}

fn check_password_rules(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < limits::PASSWORD_CHARS_MIN || password.len() > limits::PASSWORD_BYTES_MAX {
        return Err(BureauError::refused(
            Refusal::PasswordInvalid,
            format!("a password has {} to {} characters", limits::PASSWORD_CHARS_MIN, limits::PASSWORD_BYTES_MAX),
        ));
    }
    Ok(())
}

impl<S: Store> Bureau<S> {
    /// Adds an organization with `roles`, or sets the roles of an existing one.
    pub fn add_org(&mut self, code: &str, name: &str, roles: &[Role]) -> Result<OrgView> {
        if !ob_model::is_org_code(code) {
            return Err(BureauError::refused(
                Refusal::OrgInvalid,
                format!("an organization code has 1 to {} letters, digits, '_' or '-'", limits::ORG_CODE_CHARS_MAX),
            ));
        }
        if name.chars().count() > limits::ORG_NAME_CHARS_MAX || roles.is_empty() || roles.contains(&Role::Admin) {
            return Err(BureauError::refused(
                Refusal::OrgInvalid,
                "an organization has a name and is a furnisher, a lender or both",
            ));
        }
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let id = match w.org_by_code(code)? {
            Some(org) => org.id,
            None => w.insert_org(code, if name.is_empty() { code } else { name }, now)?,
        };
        let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let column = names.join(",");
        w.set_org_roles(id, &column)?;
        audit::append(
            w.as_mut(),
            now,
            "org.roles",
            None,
            Some(id),
            &serde_json::json!({"code": code, "roles": column}),
        )?;
        let org = w.org(id)?.ok_or_else(|| BureauError::refused(Refusal::OrgInvalid, "organization vanished"))?;
        w.commit()?;
        Ok(OrgView { code: org.code, name: org.name, roles: parse_roles(&column) })
    }

    /// Sets the kind (机构类型) of the organization `code`: what an institution's copy of a report
    /// names it by when it hides it from other lenders.
    pub fn set_org_type(&mut self, code: &str, org_type: ob_model::InstitutionType) -> Result<()> {
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let org = org_by_code(w.as_ref(), code)?;
        w.set_org_type(org.id, org_type)?;
        let detail = serde_json::json!({"code": code, "org_type": org_type.as_str()});
        audit::append(w.as_mut(), now, "org.type", None, Some(org.id), &detail)?;
        w.commit()?;
        Ok(())
    }

    /// Every organization with its roles.
    pub fn orgs(&self) -> Result<Vec<OrgView>> {
        let r = self.store.read()?;
        let mut out = Vec::new();
        for org in r.orgs()? {
            let roles = parse_roles(&r.org_roles(org.id)?);
            out.push(OrgView { code: org.code, name: org.name, roles });
        }
        Ok(out)
    }

    /// Issues a key for the organization `org_code` (which must have a role), or an operator's
    /// key when `None`. Returns the key: the only time it exists outside its holder's hands.
    pub fn issue_key(&mut self, org_code: Option<&str>, label: &str) -> Result<String> {
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let org_id = match org_code {
            None => None,
            Some(code) => {
                let org = org_by_code(w.as_ref(), code)?;
                if parse_roles(&w.org_roles(org.id)?).is_empty() {
                    return Err(BureauError::refused(
                        Refusal::OrgNoRole,
                        "give the organization a role first (`org add`)",
                    ));
                }
                Some(org.id)
            }
        };
        let key = new_key()?;
        let digest = key_digest(&key);
        let label: String = label.chars().take(limits::ORG_NAME_CHARS_MAX).collect();
        w.insert_api_key(&ApiKeyRow { key_sha256: digest, org_id, label, created_at: now, revoked_at: None })?;
        // The digest's first 8 hex digits name the key in the audit chain; the key never appears.
        let detail = serde_json::json!({"key": &hex::encode(digest)[..8], "operator": org_id.is_none()});
        audit::append(w.as_mut(), now, "key.issued", None, org_id, &detail)?;
        w.commit()?;
        Ok(key)
    }

    /// Revokes the key whose SHA-256 is `digest`; `org`, when given, must own it.
    pub fn revoke_key(&mut self, digest: &[u8; 32], org: Option<OrgId>) -> Result<bool> {
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let Some(row) = w.api_key(digest)? else { return Ok(false) };
        if org.is_some() && row.org_id != org {
            return Ok(false);
        }
        let done = w.revoke_api_key(digest, now)?;
        if done {
            let detail = serde_json::json!({"key": &hex::encode(digest)[..8]});
            audit::append(w.as_mut(), now, "key.revoked", None, row.org_id, &detail)?;
            w.commit()?;
        }
        Ok(done)
    }

    /// The principal of a presented key: `None` for an unknown or revoked key.
    pub fn principal_for_key(&self, key: &str) -> Result<Option<Principal>> {
        let r = self.store.read()?;
        let Some(row) = r.api_key(&key_digest(key))? else { return Ok(None) };
        if row.revoked_at.is_some() {
            return Ok(None);
        }
        let Some(org_id) = row.org_id else {
            return Ok(Some(Principal { org_id: None, org_code: String::new(), roles: vec![Role::Admin] }));
        };
        let org =
            r.org(org_id)?.ok_or_else(|| ob_store::StoreError::Corrupt("key of a missing organization".into()))?;
        let roles = parse_roles(&r.org_roles(org_id)?);
        Ok(Some(Principal { org_id: Some(org_id), org_code: org.code, roles }))
    }

    /// Sets the web password of the person holding `document` (from [`hash_password`]), and ends
    /// every web session of theirs in the same transaction: a password is changed after it leaked,
    /// and a session opened with the old one must not outlive it.
    pub fn set_password(&mut self, document: &DocumentNumber, password_phc: &str) -> Result<()> {
        PasswordHash::new(password_phc)
            .map_err(|_| BureauError::refused(Refusal::PasswordInvalid, "not a PHC password hash"))?;
        let now = self.clock.now().unix_timestamp();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let subject = crate::subject_by_document(w.as_ref(), &self.keys, document)?.ok_or(BureauError::NoFile)?;
        let created_at = w.person_login(subject.id)?.map_or(now, |l| l.created_at);
        w.put_person_login(&PersonLoginRow {
            subject_id: subject.id,
            password_phc: password_phc.to_owned(),
            created_at,
            updated_at: now,
        })?;
        let ended = w.prune_web_sessions_of(subject.id, 0)?;
        audit::append(
            w.as_mut(),
            now,
            "login.set",
            Some(subject.id),
            None,
            &serde_json::json!({"sessions_ended": ended}),
        )?;
        w.commit()?;
        Ok(())
    }

    /// The person holding `document` and their password hash, when they have a web sign-in.
    /// Verify the password with [`verify_password`] outside any lock.
    pub fn login_of(&self, document: &DocumentNumber) -> Result<Option<(SubjectId, String)>> {
        let r = self.store.read()?;
        let Some(subject) = crate::subject_by_document(r.as_ref(), &self.keys, document)? else { return Ok(None) };
        Ok(r.person_login(subject.id)?.map(|l| (subject.id, l.password_phc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_the_decoy_is_a_real_hash_no_password_matches() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "correct horse battery!"));
        assert!(PasswordHash::new(decoy_hash()).is_ok(), "the decoy costs a full verification");
        assert!(decoy_hash().starts_with("$argon2id$"));
        assert!(!verify_password(decoy_hash(), "correct horse battery"));
        assert!(matches!(hash_password("short"), Err(BureauError::Refused { refusal: Refusal::PasswordInvalid, .. })));
    }
}
