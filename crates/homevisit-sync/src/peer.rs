//! Peer-to-peer sync, bytes in and bytes out: for two phones in a house with no signal, over
//! whatever channel the shell has (Nearby, Multipeer, a QR code). The engine never sees the channel.

use homevisit_protocol::SyncBatch;

use crate::{DocFailure, Session, SyncDocs, SyncReport};

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
    /// `peer` names the other device (its sync state and marks are kept under that name).
    pub fn new(docs: &'s mut S, peer: impl Into<String>) -> Self {
        Self { docs, session: Session::new(peer), rounds: 0 }
    }

    /// The first message, from the side that starts.
    pub fn start(&mut self) -> Result<Vec<u8>, PeerError> {
        Ok(self.session.outgoing(self.docs)?.encode())
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
        Ok(Some(reply.encode()))
    }

    /// Persists sync state and marks; call when the exchange is complete.
    pub fn finish(self) -> Result<SyncReport, PeerError> {
        Ok(self.session.finish(self.docs)?)
    }
}
