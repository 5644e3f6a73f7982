//! The sync protocol between devices and the relay (and between two devices directly).
//!
//! One exchange carries Automerge sync messages for many documents: a phone back from a rural day
//! may hold hundreds. A body is `[version: u16 LE][compression: u8][postcard SyncBatch]`: the
//! version first, so a peer refuses one it does not speak with a typed error; then the batch,
//! deflate-compressed when that makes it smaller (notes are text, and compress about 3x).
//!
//! ```text
//! SyncBatch   { version, messages: [DocMessage { doc: (kind, uuid), data: automerge sync message }],
//!               rejected: [Rejection { doc, reason }], more,
//!               deleted: [doc], confirmed_deleted: [doc] }          (version 3)
//! ```
//! The same batch type travels both ways: a device sends its messages, the relay answers with its
//! own (and with the documents it refused, e.g. a write the device may not make).
//!
//! Version 3 adds deletion: the relay's answer lists documents the district deleted
//! (`deleted`: the device deletes them with their history), and the device's next request
//! confirms them (`confirmed_deleted`). A version 2 body is still read (as a batch with neither
//! list), and a batch whose `version` is 2 is written in version 2's form (without them): the
//! relay answers each device in the version it spoke, so an old app keeps syncing (and is not
//! asked to delete anything; the relay still refuses the deleted documents from it).

pub mod enroll_link;

pub use enroll_link::{EnrollLink, EnrollLinkError};

use homevisit_docs::{DocId, DocKind};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

/// The protocol version this build speaks (2: batches are bounded and say when more follows; 3:
/// deletions and their confirmations).
pub const VERSION: u16 = 3;

/// The oldest version this build still reads and answers in (see the module documentation).
pub const OLDEST_VERSION: u16 = 2;

/// The response header of every sync answer that says whether the device's school shares visit
/// notes with its coordinators (`true` / `false`), from the relay's own policy record: the phone's
/// settings screen shows it. Informational only: access is decided on the relay.
pub const NOTES_SHARED_HEADER: &str = "homevisit-school-shares-notes";

/// Largest body a peer accepts (a relay answers 413 above it).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Most messages (and most refusals) one batch may carry. A batch is decoded only if its counts
/// are within this, checked before anything is allocated for them: a 16 MB body could otherwise
/// hold some 650,000 tiny messages, each costing the receiver work and memory. A sender with more
/// to say sends it over several rounds ([`SyncBatch::more`]).
pub const MAX_BATCH_MESSAGES: usize = 1000;

/// Most document bytes a sender puts in one batch (the sum of its messages' `data`), so the body
/// stays well under [`MAX_BODY_BYTES`]. A single larger message is still sent, alone.
pub const MAX_BATCH_DATA_BYTES: usize = 8 * 1024 * 1024;

/// Most heads a message may list (a document has one head per concurrent branch: a handful).
pub const MAX_HEADS_PER_MESSAGE: usize = 256;

const PLAIN: u8 = 0;
const DEFLATE: u8 = 1;
/// Bodies smaller than this are not worth compressing.
const COMPRESS_ABOVE: usize = 512;

/// A document id on the wire: its kind code and UUID bytes (17 bytes instead of a 48-byte string).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WireDocId {
    pub kind: u8,
    pub id: [u8; 16],
}

impl From<DocId> for WireDocId {
    fn from(d: DocId) -> Self {
        Self { kind: d.kind.code(), id: *d.id.as_bytes() }
    }
}

impl TryFrom<WireDocId> for DocId {
    type Error = ProtocolError;
    fn try_from(w: WireDocId) -> Result<Self, ProtocolError> {
        let kind = DocKind::from_code(w.kind).ok_or(ProtocolError::UnknownKind(w.kind))?;
        Ok(DocId::new(kind, Uuid::from_bytes(w.id)))
    }
}

/// What a [`DocMessage`] carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageForm {
    /// `data` is `automerge::sync::Message::encode()`.
    #[default]
    Sync,
    /// `data` is the whole stored document (a snapshot, then change chunks) and `heads` its heads:
    /// how a document reaches a peer that has never synced it, without the sender loading it.
    Snapshot,
    /// "I now hold exactly `heads`" (the answer to a snapshot); `data` is empty.
    Holds,
}

/// One message about one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMessage {
    pub doc: WireDocId,
    pub form: MessageForm,
    pub data: Vec<u8>,
    /// For `Snapshot` and `Holds`: the document's heads (32-byte change hashes).
    #[serde(deserialize_with = "bounded::heads")]
    pub heads: Vec<[u8; 32]>,
}

impl DocMessage {
    /// An Automerge sync message.
    pub fn sync(doc: WireDocId, data: Vec<u8>) -> Self {
        Self { doc, form: MessageForm::Sync, data, heads: Vec::new() }
    }
}

/// Why a peer refused a document's message. Carries no document content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// The sender may not read or write this document.
    Forbidden,
    /// The message could not be decoded or applied (or would make the document larger than its
    /// kind may be: `homevisit_docs::limits`).
    Malformed,
    /// The sender's device is over a quota of the receiver's (documents or bytes it may store):
    /// a coordinator's matter, not retried until then.
    OverQuota,
    /// The receiver did not get to this message within the request's work budget: the sender
    /// sends it again in its next batch (the device's session does so by itself).
    Busy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub doc: WireDocId,
    pub reason: RejectReason,
}

/// A batch of sync messages, in either direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBatch {
    pub version: u16,
    #[serde(deserialize_with = "bounded::messages")]
    pub messages: Vec<DocMessage>,
    #[serde(deserialize_with = "bounded::messages")]
    pub rejected: Vec<Rejection>,
    /// The sender had more to send than one batch holds: the receiver asks again (even with
    /// nothing to say) before it considers the exchange settled.
    pub more: bool,
    /// (Relay to device, version 3.) Documents the district deleted that this device may hold:
    /// it deletes them with their history and confirms ([`SyncBatch::confirmed_deleted`]).
    /// (`default`: a self-describing form of a batch made before version 3, e.g. JSON, still
    /// reads; postcard bodies are versioned instead, see [`SyncBatch::decode`].)
    #[serde(default, deserialize_with = "bounded::messages")]
    pub deleted: Vec<WireDocId>,
    /// (Device to relay, version 3.) Deleted documents this device has deleted.
    #[serde(default, deserialize_with = "bounded::messages")]
    pub confirmed_deleted: Vec<WireDocId>,
}

/// Version 2's batch: what a version 2 body holds.
#[derive(Serialize, Deserialize)]
struct BatchV2 {
    version: u16,
    #[serde(deserialize_with = "bounded::messages")]
    messages: Vec<DocMessage>,
    #[serde(deserialize_with = "bounded::messages")]
    rejected: Vec<Rejection>,
    more: bool,
}

impl SyncBatch {
    pub fn new(messages: Vec<DocMessage>) -> Self {
        Self {
            version: VERSION,
            messages,
            rejected: Vec::new(),
            more: false,
            deleted: Vec::new(),
            confirmed_deleted: Vec::new(),
        }
    }

    /// The body, in the form of the batch's `version` (2: without the deletion lists).
    pub fn encode(&self) -> Vec<u8> {
        use std::io::Write;
        let plain = if self.version == 2 {
            let v2 = BatchV2 {
                version: 2,
                messages: self.messages.clone(),
                rejected: self.rejected.clone(),
                more: self.more,
            };
            postcard::to_stdvec(&v2).expect("a batch always encodes")
        } else {
            postcard::to_stdvec(self).expect("a batch always encodes")
        };
        let mut body = self.version.to_le_bytes().to_vec();
        if plain.len() > COMPRESS_ABOVE {
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&plain).expect("writing to memory cannot fail");
            let packed = z.finish().expect("writing to memory cannot fail");
            if packed.len() < plain.len() {
                body.push(DEFLATE);
                body.extend_from_slice(&packed);
                return body;
            }
        }
        body.push(PLAIN);
        body.extend_from_slice(&plain);
        body
    }

    /// Decodes a batch, refusing other protocol versions and oversized bodies (before and after
    /// decompression).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        use std::io::Read;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ProtocolError::TooLarge(bytes.len()));
        }
        let (head, rest) = bytes.split_at_checked(3).ok_or(ProtocolError::Malformed)?;
        let version = u16::from_le_bytes([head[0], head[1]]);
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
            return Err(ProtocolError::Version { found: version, supported: VERSION });
        }
        let parse = |plain: &[u8]| -> Result<SyncBatch, ProtocolError> {
            if version == 2 {
                let v2: BatchV2 = postcard::from_bytes(plain).map_err(|_| ProtocolError::Malformed)?;
                Ok(SyncBatch {
                    version: v2.version,
                    messages: v2.messages,
                    rejected: v2.rejected,
                    more: v2.more,
                    deleted: Vec::new(),
                    confirmed_deleted: Vec::new(),
                })
            } else {
                postcard::from_bytes(plain).map_err(|_| ProtocolError::Malformed)
            }
        };
        let batch: SyncBatch = match head[2] {
            PLAIN => parse(rest)?,
            DEFLATE => {
                let mut plain = Vec::new();
                // Bounded, so a small body cannot expand into an unbounded one.
                flate2::read::DeflateDecoder::new(rest)
                    .take(MAX_BODY_BYTES as u64 + 1)
                    .read_to_end(&mut plain)
                    .map_err(|_| ProtocolError::Malformed)?;
                if plain.len() > MAX_BODY_BYTES {
                    return Err(ProtocolError::TooLarge(plain.len()));
                }
                parse(&plain)?
            }
            _ => return Err(ProtocolError::Malformed),
        };
        if batch.version != version {
            return Err(ProtocolError::Malformed);
        }
        Ok(batch)
    }
}

/// Sequences decoded with a bound on their length, checked against the length the encoding
/// declares before any element is read or allocated.
mod bounded {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};

    struct Bounded<T>(usize, PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a sequence of at most {} elements", self.0)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            // postcard states every sequence's length up front.
            let declared = seq.size_hint().unwrap_or(0);
            if declared > self.0 {
                return Err(A::Error::invalid_length(declared, &self));
            }
            let mut out = Vec::with_capacity(declared);
            while let Some(item) = seq.next_element()? {
                if out.len() == self.0 {
                    return Err(A::Error::invalid_length(out.len() + 1, &self));
                }
                out.push(item);
            }
            Ok(out)
        }
    }

    pub(super) fn messages<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(Bounded(super::MAX_BATCH_MESSAGES, PhantomData))
    }

    pub(super) fn heads<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        d.deserialize_seq(Bounded(super::MAX_HEADS_PER_MESSAGE, PhantomData))
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("the peer speaks protocol version {found}; this build speaks {supported}")]
    Version { found: u16, supported: u16 },
    #[error("the body is not a valid sync batch")]
    Malformed,
    #[error("the body is {0} bytes, over the limit")]
    TooLarge(usize),
    #[error("unknown document kind code {0}")]
    UnknownKind(u8),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_round_trip_compactly() {
        let doc = DocId::new(DocKind::VisitNotes, Uuid::new_v4());
        let batch = SyncBatch::new(vec![DocMessage::sync(doc.into(), vec![1, 2, 3])]);
        let bytes = batch.encode();
        assert!(bytes.len() < 34, "{} bytes", bytes.len());
        let back = SyncBatch::decode(&bytes).unwrap();
        assert_eq!(back, batch);
        assert_eq!(DocId::try_from(back.messages[0].doc).unwrap(), doc);
    }

    #[test]
    fn large_batches_are_compressed_and_round_trip() {
        let text = "the family shared that their child loves reading and drawing ".repeat(40);
        let messages =
            (0..20u8).map(|i| DocMessage::sync(WireDocId { kind: 4, id: [i; 16] }, text.as_bytes().to_vec())).collect();
        let batch = SyncBatch::new(messages);
        let bytes = batch.encode();
        assert!(bytes.len() * 5 < text.len() * 20, "{} bytes", bytes.len());
        assert_eq!(SyncBatch::decode(&bytes).unwrap(), batch);
    }

    #[test]
    fn batches_over_the_message_bound_are_refused_before_they_are_read() {
        let tiny = |i: u32| DocMessage::sync(WireDocId { kind: 4, id: [i as u8; 16] }, Vec::new());
        let full = SyncBatch::new((0..MAX_BATCH_MESSAGES as u32).map(tiny).collect());
        assert_eq!(SyncBatch::decode(&full.encode()).unwrap().messages.len(), MAX_BATCH_MESSAGES);
        let over = SyncBatch::new((0..=MAX_BATCH_MESSAGES as u32).map(tiny).collect());
        assert_eq!(SyncBatch::decode(&over.encode()), Err(ProtocolError::Malformed));
        let mut refusals = SyncBatch::new(Vec::new());
        refusals.rejected = (0..=MAX_BATCH_MESSAGES as u32)
            .map(|i| Rejection { doc: tiny(i).doc, reason: RejectReason::Forbidden })
            .collect();
        assert_eq!(SyncBatch::decode(&refusals.encode()), Err(ProtocolError::Malformed));
        let mut heads = tiny(0);
        heads.heads = vec![[7; 32]; MAX_HEADS_PER_MESSAGE + 1];
        assert_eq!(SyncBatch::decode(&SyncBatch::new(vec![heads]).encode()), Err(ProtocolError::Malformed));
        // A declared length far beyond what the body holds is refused, not allocated: the plain
        // body `[version][PLAIN][version varint][messages: u32::MAX as varint]`.
        let mut lying = VERSION.to_le_bytes().to_vec();
        lying.push(PLAIN);
        lying.push(VERSION as u8);
        lying.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(SyncBatch::decode(&lying), Err(ProtocolError::Malformed));
    }

    #[test]
    fn deletion_lists_round_trip_and_are_bounded() {
        let doc: WireDocId = DocId::new(DocKind::VisitNotes, Uuid::new_v4()).into();
        let mut batch = SyncBatch::new(vec![]);
        batch.deleted = vec![doc];
        batch.confirmed_deleted = vec![doc, doc];
        assert_eq!(SyncBatch::decode(&batch.encode()).unwrap(), batch);
        let mut over = SyncBatch::new(vec![]);
        over.deleted = vec![doc; MAX_BATCH_MESSAGES + 1];
        assert_eq!(SyncBatch::decode(&over.encode()), Err(ProtocolError::Malformed));
        let mut over = SyncBatch::new(vec![]);
        over.confirmed_deleted = vec![doc; MAX_BATCH_MESSAGES + 1];
        assert_eq!(SyncBatch::decode(&over.encode()), Err(ProtocolError::Malformed));
    }

    #[test]
    fn a_version_2_peer_is_read_and_answered_in_version_2() {
        let doc = DocId::new(DocKind::VisitNotes, Uuid::new_v4());
        // A version 2 body, as an old app writes it: no deletion lists.
        let old = BatchV2 {
            version: 2,
            messages: vec![DocMessage::sync(doc.into(), vec![1, 2, 3])],
            rejected: Vec::new(),
            more: true,
        };
        let mut body = 2u16.to_le_bytes().to_vec();
        body.push(PLAIN);
        body.extend_from_slice(&postcard::to_stdvec(&old).unwrap());
        let read = SyncBatch::decode(&body).unwrap();
        assert_eq!((read.version, read.messages.len(), read.more), (2, 1, true));
        assert!(read.deleted.is_empty() && read.confirmed_deleted.is_empty());
        // Answered in version 2: its deletion lists are left out, and the old form reads back.
        let mut answer = read.clone();
        answer.deleted = vec![doc.into()];
        let bytes = answer.encode();
        assert_eq!(u16::from_le_bytes([bytes[0], bytes[1]]), 2);
        let back: BatchV2 = postcard::from_bytes(&bytes[3..]).unwrap();
        assert_eq!((back.version, back.messages, back.more), (2, read.messages, true));
    }

    #[test]
    fn other_versions_and_garbage_are_refused() {
        let mut batch = SyncBatch::new(vec![]);
        batch.version = 4;
        assert_eq!(SyncBatch::decode(&batch.encode()), Err(ProtocolError::Version { found: 4, supported: VERSION }));
        batch.version = 1;
        assert_eq!(SyncBatch::decode(&batch.encode()), Err(ProtocolError::Version { found: 1, supported: VERSION }));
        assert_eq!(SyncBatch::decode(&[3, 0, 7, 0xff]), Err(ProtocolError::Malformed));
        assert_eq!(SyncBatch::decode(&[1]), Err(ProtocolError::Malformed));
        let bad_kind = WireDocId { kind: 200, id: [0; 16] };
        assert_eq!(DocId::try_from(bad_kind), Err(ProtocolError::UnknownKind(200)));
    }
}
