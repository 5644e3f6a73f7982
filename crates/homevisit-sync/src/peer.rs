//! Peer-to-peer sync, bytes in and bytes out: for two phones in a house with no signal, over
//! whatever channel the shell has (Nearby, Multipeer, a QR code). The engine never sees the channel.
//! The other phone is not authenticated, so an exchange is about one visit only
//! ([`PeerSync::for_visit`]), and what it sends is checked like anything received
//! ([`homevisit_docs::check`], through the store).

use homevisit_docs::{DocId, DocKind};
use homevisit_model::VisitId;
use homevisit_protocol::SyncBatch;

use crate::{DocFailure, PeerId, Session, SyncDocs, SyncReport};

/// Most rounds one exchange may take before it stops (a later exchange continues).
pub const MAX_ROUNDS: usize = 16;

/// One side of a direct exchange. Either side may start; both answer what they receive.
pub struct PeerSync<'s, S: SyncDocs> {
    docs: &'s mut S,
    session: Session,
    rounds: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error(transparent)]
    Protocol(#[from] homevisit_protocol::ProtocolError),
    #[error(transparent)]
    Storage(#[from] DocFailure),
}

impl<'s, S: SyncDocs> PeerSync<'s, S> {
    /// An exchange about one visit, the one the two phones share (the visit on screen): its log and
    /// notes are offered and accepted; nothing else is offered, and a message about any other
    /// document is refused (the other phone may be anyone's). `peer` is the other device's id (its
    /// sync state and marks are kept under it).
    pub fn for_visit(docs: &'s mut S, peer: PeerId, visit: VisitId) -> Self {
        let visit_docs = [DocKind::VisitLog, DocKind::VisitNotes].map(|kind| DocId::new(kind, visit.uuid()));
        Self { docs, session: Session::new(peer).limited_to(visit_docs), rounds: 0 }
    }

    /// The first message, from the side that starts.
    pub fn start(&mut self) -> Result<Vec<u8>, PeerError> {
        Ok(peer_form(self.session.outgoing(self.docs)?).encode())
    }

    /// Handles the other side's bytes. Returns the bytes to send back, or `None` when the exchange
    /// is complete (they had nothing new and neither do we).
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, PeerError> {
        let batch = SyncBatch::decode(bytes)?;
        self.rounds += 1;
        let reply = self.session.respond(self.docs, &batch)?;
        let quiet = batch.messages.is_empty() && reply.messages.is_empty() && reply.rejected.is_empty();
        if quiet || self.rounds >= MAX_ROUNDS {
            return Ok(None);
        }
        Ok(Some(peer_form(reply).encode()))
    }

    /// Persists sync state and marks; call when the exchange is complete.
    pub fn finish(self) -> Result<SyncReport, PeerError> {
        Ok(self.session.finish(self.docs)?)
    }
}

/// Phone to phone, batches go in the oldest version still spoken: they never carry the relay's
/// deletion lists (version 3), and a phone on an older app reads them.
fn peer_form(mut batch: SyncBatch) -> SyncBatch {
    batch.version = homevisit_protocol::OLDEST_VERSION;
    batch
}
