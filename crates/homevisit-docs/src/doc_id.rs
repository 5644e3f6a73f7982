use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::DocError;

/// What a document holds. The kind decides its schema and, on the relay, who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    School,
    Educator,
    Family,
    /// A visit's plan and outcome: readable by the school's coordinators.
    VisitLog,
    /// A visit's notes and debrief: the pair's, shared only by district policy.
    VisitNotes,
    PromptPack,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        DocKind::School,
        DocKind::Educator,
        DocKind::Family,
        DocKind::VisitLog,
        DocKind::VisitNotes,
        DocKind::PromptPack,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            DocKind::School => "school",
            DocKind::Educator => "educator",
            DocKind::Family => "family",
            DocKind::VisitLog => "visit-log",
            DocKind::VisitNotes => "visit-notes",
            DocKind::PromptPack => "prompt-pack",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// One byte that tells kinds apart (in deterministic actor ids and on the wire). Stable:
    /// a new kind takes a new code at the end.
    pub fn code(&self) -> u8 {
        Self::ALL.iter().position(|k| k == self).expect("kind is in ALL") as u8
    }

    pub fn from_code(code: u8) -> Option<DocKind> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// A document's address: its kind and a UUID. A visit's log and notes share the visit's UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId {
    pub kind: DocKind,
    pub id: Uuid,
}

impl DocId {
    pub fn new(kind: DocKind, id: Uuid) -> Self {
        Self { kind, id }
    }
}

/// The longest text of a document id: the longest kind, a slash, a hyphenated UUID.
const MAX_TEXT: usize = 11 + 1 + uuid::fmt::Hyphenated::LENGTH;

impl fmt::Display for DocId {
    /// `kind/uuid`, written in one piece: every query about a document binds this text, and
    /// writing it in three parts grew `to_string()`'s string twice (4% of a relay storing an
    /// upload).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.as_str();
        let mut text = [0u8; MAX_TEXT];
        text[..kind.len()].copy_from_slice(kind.as_bytes());
        text[kind.len()] = b'/';
        let end = kind.len() + 1 + uuid::fmt::Hyphenated::LENGTH;
        self.id.hyphenated().encode_lower(&mut text[kind.len() + 1..end]);
        // ASCII throughout: a kind's name, a slash, hex digits and hyphens.
        f.write_str(std::str::from_utf8(&text[..end]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for DocId {
    type Err = DocError;
    fn from_str(s: &str) -> Result<Self, DocError> {
        let bad = || DocError::BadDocId;
        let (kind, id) = s.split_once('/').ok_or_else(bad)?;
        Ok(DocId { kind: DocKind::parse(kind).ok_or_else(bad)?, id: Uuid::parse_str(id).map_err(|_| bad())? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_round_trip_and_reject_garbage() {
        for kind in DocKind::ALL {
            let id = DocId::new(kind, Uuid::new_v4());
            assert_eq!(id.to_string().parse::<DocId>().unwrap(), id);
        }
        assert!("visit-log".parse::<DocId>().is_err());
        assert!("diary/0b0e7f36-8d5f-4d57-9d7d-1f1e7f0f0f0f".parse::<DocId>().is_err());
        assert!("visit-log/not-a-uuid".parse::<DocId>().is_err());
    }

    #[test]
    fn the_text_is_the_kind_a_slash_and_the_hyphenated_uuid() {
        for kind in DocKind::ALL {
            assert!(kind.as_str().len() + 1 + uuid::fmt::Hyphenated::LENGTH <= MAX_TEXT, "{kind:?}");
            let id = DocId::new(kind, Uuid::from_u128(0x0b0e7f36_8d5f_4d57_9d7d_1f1e7f0f0f0f));
            assert_eq!(id.to_string(), format!("{}/0b0e7f36-8d5f-4d57-9d7d-1f1e7f0f0f0f", kind.as_str()));
        }
    }
}
