//! Matching the person a record names: by the keyed hash of the document. A known document under
//! another name or birth date is refused (`IDENTITY_CONFLICT`), never merged; an unknown one opens
//! a new file, once a record naming them has passed its checks.

use super::Batch;
use super::{Named, Outcome};
use crate::Result;
use crate::crypto::{self, Keys};
use ob_model::records::{Identity, Record};
use ob_model::{Code, DocumentNumber, FieldError};
use ob_store::{DocumentRow, NewSubject, SubjectId, SubjectRow};
use time::Date;

/// A person known to the batch, by the keyed hash of their document.
#[derive(Clone, Copy)]
pub(super) struct SubjectInfo {
    id: SubjectId,
    name_mac: [u8; 32],
    /// The key version of the row's name (and so of `name_mac`).
    version: u8,
    birth_date: Date,
}

impl SubjectInfo {
    /// The person's id (a stand-in one during an entry's dry check).
    pub(super) fn id(&self) -> SubjectId {
        self.id
    }

    /// What the batch keeps of a person's stored row.
    pub(super) fn of_row(row: &SubjectRow) -> SubjectInfo {
        // Mid-rotation a person's row may still be under the key being left.
        let version = Keys::sealed_version(&row.name_enc).unwrap_or(0);
        SubjectInfo { id: row.id, name_mac: row.name_mac, version, birth_date: row.birth_date }
    }
}

impl Batch<'_> {
    /// The person a record names, when on file (`None`: not on file; a record that passes its
    /// checks opens their file with [`Batch::open_subject`]). A known document under another name
    /// or birth date is refused: merging would mix two people's files. Nothing is written.
    pub(super) fn find_subject(
        &mut self,
        who: &Identity,
    ) -> Result<std::result::Result<Option<SubjectId>, FieldError>> {
        let Some(known) = self.known_by_document(&who.document)? else {
            return Ok(Ok(None));
        };
        let (field, differs) = if !self.same_name(known, &who.name)? {
            ("subject.name", "name")
        } else if known.birth_date != who.birth_date {
            ("subject.birth_date", "birth date")
        } else {
            return Ok(Ok(Some(known.id)));
        };
        Ok(Err(FieldError::new(
            Code::IdentityConflict,
            field,
            format!("this document is on file with a different {differs}; not merged (possible mixed file)"),
        )))
    }

    /// The person on file (or given a stand-in by the entry's dry check) under a document.
    fn known_by_document(&mut self, document: &DocumentNumber) -> Result<Option<SubjectInfo>> {
        let doc_mac = self.keys.document_mac(document);
        let in_hand = self.subjects.contains_key(&doc_mac) || self.dry.people.contains_key(&doc_mac);
        // A miss is not remembered here: `absent_documents` counts towards the caches' limit,
        // and every new person would then count twice, letting the caches go twice as often.
        if !in_hand
            && !self.absent_documents.contains(&doc_mac)
            && let Some(row) = crate::subject_by_document(self.w.as_ref(), self.keys, document)?
        {
            self.subjects.insert(doc_mac, SubjectInfo::of_row(&row));
        }
        // A person given a stand-in by the entry's dry check is compared as one on file.
        Ok(self.subjects.get(&doc_mac).or_else(|| self.dry.people.get(&doc_mac)).copied())
    }

    /// Whether `name` is the name on file of `known`, compared under the key its row was sealed
    /// with.
    fn same_name(&self, known: SubjectInfo, name: &str) -> Result<bool> {
        let name_mac = if known.version == self.keys.sealing_version() {
            self.keys.name_mac(name)
        } else {
            self.keys.name_mac_of_version(known.version, name)?
        };
        Ok(known.name_mac == name_mac)
    }

    /// The rule for an entry that names its person beside records that do not keep it (a
    /// PBOC-style message of months alone): the account it is about must be that person's, on
    /// file under that name. Otherwise a furnisher's mixed-up account code would put one
    /// person's months on another's file. `None` when the entry passes this rule (or has no
    /// account on file: its records' own checks say what is wrong); an entry that gives the
    /// account's terms is checked with them, against the whole identity.
    pub(super) fn check_named(&mut self, named: Option<&Named>, records: &[Record]) -> Result<Option<Outcome>> {
        let Some(named) = named else { return Ok(None) };
        if records.iter().any(|r| matches!(r, Record::Account(_))) {
            return Ok(None);
        }
        let Some(key) = records.iter().find_map(account_key_of) else { return Ok(None) };
        let Some(index) = self.load_account(key)? else { return Ok(None) };
        let holder = self.accounts[index].subject_id;
        // Only PBOC-style messages name their person beside their records: the fields are its.
        let (field, why) = match self.known_by_document(&named.document)? {
            Some(known) if known.id == holder => {
                if self.same_name(known, &named.name)? {
                    return Ok(None);
                }
                ("AcctBsSgmt.Name", "this account's holder is on file under another name (possible mixed file)")
            }
            _ => ("AcctBsSgmt.IDNum", "this account is on file for another person than the one named"),
        };
        Ok(Some(Outcome::Rejected(vec![FieldError::new(Code::AccountConflict, field, why)])))
    }

    /// Opens a file for a person [`Batch::find_subject`] found on none, for a record that passed
    /// every check: a rejected record never leaves a person's name and document behind. While an
    /// entry is checked before it is written (`Batch::dry`), the person gets a stand-in id instead
    /// and nothing is written.
    pub(super) fn open_subject(&mut self, who: &Identity) -> Result<SubjectId> {
        let doc_mac = self.keys.document_mac(&who.document);
        let name_mac = self.keys.name_mac(&who.name);
        let version = self.keys.sealing_version();
        if self.dry.on {
            let id = self.dry.stand_in_subject();
            self.dry.people.insert(doc_mac, SubjectInfo { id, name_mac, version, birth_date: who.birth_date });
            // A person not on file has given no consent yet.
            self.consents.insert(id, Vec::new());
            return Ok(id);
        }
        let id = self.w.insert_subject(&NewSubject {
            name_enc: self.keys.encrypt_text(crypto::NAME_CONTEXT, &who.name)?,
            name_mac,
            birth_date: who.birth_date,
            created_at: self.now,
        })?;
        self.w.insert_document(&DocumentRow {
            number_mac: doc_mac,
            subject_id: id,
            doc_type: who.document.doc_type(),
            number_enc: self
                .keys
                .encrypt_text(&crypto::document_context(who.document.doc_type()), who.document.expose())?,
        })?;
        self.subjects.insert(doc_mac, SubjectInfo { id, name_mac, version, birth_date: who.birth_date });
        // A person just opened has given no consent yet: nothing to read.
        self.consents.insert(id, Vec::new());
        Ok(id)
    }
}

/// The account a month or special transaction is about.
fn account_key_of(record: &Record) -> Option<&str> {
    match record {
        Record::Month(m) => Some(&m.account_key),
        Record::Special(s) => Some(&s.account_key),
        _ => None,
    }
}
