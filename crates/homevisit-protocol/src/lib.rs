//! The sync protocol between devices and the relay (and between two devices directly).
//!
//! One exchange carries Automerge sync messages for many documents: a phone back from a rural day
//! may hold hundreds. A body is `[version: u16 LE][compression: u8][postcard SyncBatch]`: the
//! version first, so a peer refuses one it does not speak with a typed error; then the batch,
//! deflate-compressed when that makes it smaller (notes are text, and compress about 3x).
//!
//! ```text
//! SyncBatch   { version, messages: [DocMessage { doc: (kind, uuid), data: automerge sync message }],
//!               rejected: [Rejection { doc, reason }] }
//! ```
//! The same batch type travels both ways: a device sends its messages, the relay answers with its
//! own (and with the documents it refused, e.g. a write the device may not make).

use homevisit_docs::{DocId, DocKind};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

/// The protocol version this build speaks.
pub const VERSION: u16 = 1;

/// Largest body a peer accepts (a relay answers 413 above it).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

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
    /// The message could not be decoded or applied.
    Malformed,
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
    pub messages: Vec<DocMessage>,
    pub rejected: Vec<Rejection>,
}

impl SyncBatch {
    pub fn new(messages: Vec<DocMessage>) -> Self {
        Self { version: VERSION, messages, rejected: Vec::new() }
    }

    pub fn encode(&self) -> Vec<u8> {
        use std::io::Write;
        let plain = postcard::to_stdvec(self).expect("a batch always encodes");
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
        if version != VERSION {
            return Err(ProtocolError::Version { found: version, supported: VERSION });
        }
        let batch: SyncBatch = match head[2] {
            PLAIN => postcard::from_bytes(rest).map_err(|_| ProtocolError::Malformed)?,
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
                postcard::from_bytes(&plain).map_err(|_| ProtocolError::Malformed)?
            }
            _ => return Err(ProtocolError::Malformed),
        };
        if batch.version != version {
            return Err(ProtocolError::Malformed);
        }
        Ok(batch)
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
    fn other_versions_and_garbage_are_refused() {
        let mut batch = SyncBatch::new(vec![]);
        batch.version = 2;
        assert_eq!(SyncBatch::decode(&batch.encode()), Err(ProtocolError::Version { found: 2, supported: VERSION }));
        assert_eq!(SyncBatch::decode(&[1, 0, 7, 0xff]), Err(ProtocolError::Malformed));
        assert_eq!(SyncBatch::decode(&[1]), Err(ProtocolError::Malformed));
        let bad_kind = WireDocId { kind: 200, id: [0; 16] };
        assert_eq!(DocId::try_from(bad_kind), Err(ProtocolError::UnknownKind(200)));
    }
}
