//! Peer-to-peer sync, bytes in and bytes out: for two phones in a house with no signal, over
//! whatever channel the shell has (Nearby, Multipeer, a QR code). The engine never sees the channel.
//! The other phone is not authenticated, so an exchange is about one visit only
//! ([`PeerSync::for_visit`]), and what it sends is checked like anything received
//! ([`homevisit_docs::check`], through the store).
//!
//! An exchange holds no borrow of the store between messages (the storage is passed to each
//! step), so an app can release its store while a message is on the air.

use homevisit_docs::{DocId, DocKind};
use homevisit_model::VisitId;
use homevisit_protocol::{MAX_BODY_BYTES, SyncBatch};

use crate::{DocFailure, PeerId, Session, SyncDocs, SyncReport};

/// Most rounds one exchange may take before it stops (a later exchange continues).
pub const MAX_ROUNDS: usize = 16;
/// Largest message accepted from the other phone: the relay's own request bound.
pub const MAX_MESSAGE_BYTES: usize = MAX_BODY_BYTES;

/// One side of a direct exchange. Either side may start; both answer what they receive.
pub struct PeerSync {
    session: Session,
    rounds: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error(transparent)]
    Protocol(#[from] homevisit_protocol::ProtocolError),
    #[error(transparent)]
    Storage(#[from] DocFailure),
    /// The other phone sent more than [`MAX_MESSAGE_BYTES`]: not decoded.
    #[error("a peer message of {0} bytes is over the limit")]
    TooLarge(usize),
}

impl PeerSync {
    /// An exchange about one visit, the one the two phones share (the visit on screen): its log and
    /// notes are offered and accepted; nothing else is offered, and a message about any other
    /// document is refused (the other phone may be anyone's). `peer` names the other side (its
    /// sync state and marks are kept under it; an app uses the partner's educator id).
    pub fn for_visit(peer: PeerId, visit: VisitId) -> Self {
        let visit_docs = [DocKind::VisitLog, DocKind::VisitNotes].map(|kind| DocId::new(kind, visit.uuid()));
        Self { session: Session::new(peer).limited_to(visit_docs), rounds: 0 }
    }

    /// The first message, from the side that starts.
    pub fn start<S: SyncDocs + ?Sized>(&mut self, docs: &mut S) -> Result<Vec<u8>, PeerError> {
        Ok(peer_form(self.session.outgoing(docs)?).encode())
    }

    /// Handles the other side's bytes. Returns the bytes to send back, or `None` when the exchange
    /// is complete (they had nothing new and neither do we).
    pub fn receive<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, bytes: &[u8]) -> Result<Option<Vec<u8>>, PeerError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(PeerError::TooLarge(bytes.len()));
        }
        let batch = SyncBatch::decode(bytes)?;
        self.rounds += 1;
        let reply = self.session.respond(docs, &batch)?;
        let quiet = batch.messages.is_empty() && reply.messages.is_empty() && reply.rejected.is_empty();
        if quiet || self.rounds >= MAX_ROUNDS {
            return Ok(None);
        }
        Ok(Some(peer_form(reply).encode()))
    }

    /// Documents changed here so far by what the other phone sent, each once, oldest first.
    pub fn changed(&self) -> &[DocId] {
        self.session.changed()
    }

    /// Persists sync state and marks; call when the exchange is complete (or abandoned: what was
    /// received is stored either way, this only saves what each side is known to have).
    pub fn finish<S: SyncDocs + ?Sized>(self, docs: &mut S) -> Result<SyncReport, PeerError> {
        Ok(self.session.finish(docs)?)
    }
}

/// Phone to phone, batches go in the oldest version still spoken: they never carry the relay's
/// deletion lists (version 3), and a phone on an older app reads them.
fn peer_form(mut batch: SyncBatch) -> SyncBatch {
    batch.version = homevisit_protocol::OLDEST_VERSION;
    batch
}
