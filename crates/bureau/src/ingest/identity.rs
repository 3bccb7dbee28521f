//! Matching the person a record names: by the keyed hash of the document. A known document under
//! another name or birth date is refused (`IDENTITY_CONFLICT`), never merged; an unknown one opens
//! a new file, once a record naming them has passed its checks.

use super::Batch;
use crate::Result;
use crate::crypto::{self, Keys};
use ob_model::records::Identity;
use ob_model::{Code, FieldError};
use ob_store::{DocumentRow, NewSubject, SubjectId, SubjectRow};
use time::Date;

/// A person known to the batch, by the keyed hash of their document.
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
        let doc_mac = self.keys.document_mac(&who.document);
        let in_hand = self.subjects.contains_key(&doc_mac) || self.dry.people.contains_key(&doc_mac);
        // A miss is not remembered here: `absent_documents` counts towards the caches' limit,
        // and every new person would then count twice, letting the caches go twice as often.
        if !in_hand
            && !self.absent_documents.contains(&doc_mac)
            && let Some(row) = crate::subject_by_document(self.w.as_ref(), self.keys, &who.document)?
        {
            self.subjects.insert(doc_mac, SubjectInfo::of_row(&row));
        }
        // A person given a stand-in by the entry's dry check is compared as one on file.
        let Some(known) = self.subjects.get(&doc_mac).or_else(|| self.dry.people.get(&doc_mac)) else {
            return Ok(Ok(None));
        };
        // The name's index compares under the key the person's row was sealed with.
        let name_mac = if known.version == self.keys.sealing_version() {
            self.keys.name_mac(&who.name)
        } else {
            self.keys.name_mac_of_version(known.version, &who.name)?
        };
        let (field, differs) = if known.name_mac != name_mac {
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
