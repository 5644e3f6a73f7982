//! Phone to phone in the car (no signal): a `PeerExchange` about the one visit two partners share,
//! bytes in and bytes out. The shell carries the bytes over its own channel (Nearby Connections
//! on Android, MultipeerConnectivity on iOS); the core decides what to send and what to accept
//! (`homevisit_sync::device_session::PeerExchange`): only that visit's log and notes, checked like
//! anything received.
//!
//! One side calls `first_message` and sends it; each side passes what it receives to `receive`
//! and sends back what that returns, until `receive` returns nothing; then both call `finish`.

use homevisit_sync::device_session::{self, PeerOutcome};

use crate::boundary::contain;
use crate::error::HomevisitError;

/// What an exchange did, to show once it finished.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PeerSummary {
    /// The visit's documents the partner's phone changed here (their words arrived).
    pub documents_changed: u32,
    /// Documents either phone refused (the other phone sent something it may not).
    pub documents_refused: u32,
    /// The visit's documents both phones now hold alike.
    pub documents_in_sync: u32,
}

impl From<PeerOutcome> for PeerSummary {
    fn from(o: PeerOutcome) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            documents_changed: count(o.changed),
            documents_refused: count(o.refused),
            documents_in_sync: count(o.in_sync),
        }
    }
}

/// One exchange with the partner's phone (from `HomevisitApp::start_peer_exchange`).
#[derive(uniffi::Object)]
pub struct PeerExchange {
    pub(crate) inner: device_session::PeerExchange,
}

#[uniffi::export(async_runtime = "tokio")]
impl PeerExchange {
    /// The first message, from the side that starts (either may).
    pub async fn first_message(&self) -> Result<Vec<u8>, HomevisitError> {
        contain(async { Ok(self.inner.start().await?) }).await
    }

    /// Handles a message from the partner's phone: what to send back, or nothing when the
    /// exchange is complete. A message this phone cannot read is `Invalid` (nothing of it is kept).
    pub async fn receive(&self, message: Vec<u8>) -> Result<Option<Vec<u8>>, HomevisitError> {
        contain(async { Ok(self.inner.receive(message).await?) }).await
    }

    /// Ends the exchange (also after an interrupted one: what arrived is kept either way) and
    /// says what it did. Later calls are `Invalid`.
    pub async fn finish(&self) -> Result<PeerSummary, HomevisitError> {
        contain(async { Ok(self.inner.finish().await?.into()) }).await
    }
}
