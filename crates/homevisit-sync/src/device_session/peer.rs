//! Phone to phone in the car: one [`PeerSync`] exchange about one visit, through the device's
//! shared store. Each message is one store call on the blocking pool (the store is not held while
//! a message is on the air); documents the partner's phone changed are announced to the app's
//! listener as they arrive, and finishing nudges background sync, so the relay gets the merged
//! notes once there is signal.

use std::sync::{Arc, Mutex};

use homevisit_model::VisitId;

use super::error::SessionError;
use super::shared::SharedStore;
use crate::agent::SyncListener;
use crate::peer::{PeerError, PeerSync};
use crate::{PeerId, SyncReport};

/// What an exchange did, for the shell to show ("3 changes from your partner").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerOutcome {
    /// Documents of the visit changed here by the partner's phone.
    pub changed: usize,
    /// Documents this phone refused from the other (or the other refused from this one).
    pub refused: usize,
    /// Documents both phones now hold exactly alike.
    pub in_sync: usize,
}

impl From<&SyncReport> for PeerOutcome {
    fn from(r: &SyncReport) -> Self {
        Self { changed: r.changed.len(), refused: r.refused_by_us.len() + r.refused_by_peer.len(), in_sync: r.in_sync }
    }
}

/// The state of one exchange: `None` once finished.
struct Exchange {
    sync: Option<PeerSync>,
    /// How many of the session's changed documents the listener has heard of.
    announced: usize,
}

/// One exchange with a partner's phone about one visit. Messages are handled one at a time.
pub struct PeerExchange {
    store: SharedStore,
    state: Arc<Mutex<Exchange>>,
    listener: Arc<dyn SyncListener>,
    nudge: Box<dyn Fn() + Send + Sync>,
}

impl PeerExchange {
    pub(super) fn new(
        store: SharedStore,
        peer: PeerId,
        visit: VisitId,
        listener: Arc<dyn SyncListener>,
        nudge: Box<dyn Fn() + Send + Sync>,
    ) -> Self {
        let state = Exchange { sync: Some(PeerSync::for_visit(peer, visit)), announced: 0 };
        Self { store, state: Arc::new(Mutex::new(state)), listener, nudge }
    }

    /// The first message, from the side that starts.
    pub async fn start(&self) -> Result<Vec<u8>, SessionError> {
        Ok(self.step(|sync, store| sync.start(store)).await?.0)
    }

    /// Handles the partner phone's message: the reply to send, or `None` when the exchange is
    /// complete (then call [`PeerExchange::finish`]).
    pub async fn receive(&self, bytes: Vec<u8>) -> Result<Option<Vec<u8>>, SessionError> {
        let (reply, news) = self.step(move |sync, store| sync.receive(store, &bytes)).await?;
        if !news.is_empty() {
            self.listener.documents_changed(news);
        }
        Ok(reply)
    }

    /// Saves what each phone is known to have and ends the exchange; later calls are
    /// [`SessionError::ExchangeFinished`].
    pub async fn finish(&self) -> Result<PeerOutcome, SessionError> {
        let state = self.state.clone();
        let report = self
            .store
            .call(move |store| {
                let sync = state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .sync
                    .take()
                    .ok_or(SessionError::ExchangeFinished)?;
                sync.finish(store).map_err(peer_error)
            })
            .await?;
        (self.nudge)();
        Ok(PeerOutcome::from(&report))
    }

    /// Runs one step of the exchange on the store (blocking pool), once the exchange is not
    /// finished; also returns the documents the step changed that the listener has not heard of.
    async fn step<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PeerSync, &mut homevisit_store::Store) -> Result<T, PeerError> + Send + 'static,
    ) -> Result<(T, Vec<homevisit_docs::DocId>), SessionError> {
        let state = self.state.clone();
        self.store
            .call(move |store| {
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                let Exchange { sync, announced } = &mut *state;
                let sync = sync.as_mut().ok_or(SessionError::ExchangeFinished)?;
                let out = f(sync, store).map_err(peer_error)?;
                let news = sync.changed()[*announced..].to_vec();
                *announced += news.len();
                Ok::<_, SessionError>((out, news))
            })
            .await
    }
}

/// A peer's bad message is the peer's fault, reported as such; a storage failure is this phone's.
fn peer_error(e: PeerError) -> SessionError {
    match e {
        PeerError::TooLarge(_) => SessionError::PeerMessage { code: "peer.too_large" },
        PeerError::Protocol(_) | PeerError::Storage(crate::DocFailure::Rejected(_)) => {
            SessionError::PeerMessage { code: "peer.malformed" }
        }
        PeerError::Storage(crate::DocFailure::Storage(_)) => SessionError::PeerStorage,
    }
}
