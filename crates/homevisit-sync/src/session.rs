use std::collections::BTreeMap;

use automerge::sync::{Message, State};
use homevisit_docs::DocId;
use homevisit_protocol::{DocMessage, RejectReason, Rejection, SyncBatch};

use crate::{Access, DocFailure, SyncDocs};

/// What a session did, in counts (never content).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rounds: usize,
    pub messages_sent: usize,
    pub messages_received: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
    /// Documents the peer now holds exactly as we do.
    pub in_sync: usize,
    /// Documents the peer refused, and why.
    pub refused_by_peer: Vec<(DocId, RejectReason)>,
    /// Documents whose messages we refused.
    pub refused_by_us: Vec<(DocId, RejectReason)>,
}

/// One sync session with one peer. See the crate docs.
pub struct Session<'s, S: SyncDocs> {
    docs: &'s mut S,
    peer: String,
    states: BTreeMap<DocId, State>,
    offered: bool,
    report: SyncReport,
}

impl<'s, S: SyncDocs> Session<'s, S> {
    pub fn new(docs: &'s mut S, peer: impl Into<String>) -> Self {
        Self { docs, peer: peer.into(), states: BTreeMap::new(), offered: false, report: SyncReport::default() }
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }

    fn state(&mut self, doc: DocId) -> Result<&mut State, DocFailure> {
        if !self.states.contains_key(&doc) {
            // A persisted state keeps only the shared heads: decoding it starts a fresh session.
            let state = match self.docs.load_state(&self.peer, &doc)? {
                Some(bytes) => State::decode(&bytes).unwrap_or_default(),
                None => State::new(),
            };
            self.states.insert(doc, state);
        }
        Ok(self.states.get_mut(&doc).expect("inserted above"))
    }

    /// The messages to send now. The first call offers every candidate document.
    pub fn outgoing(&mut self) -> Result<SyncBatch, DocFailure> {
        if !self.offered {
            self.offered = true;
            for doc in self.docs.candidates(&self.peer)? {
                if self.docs.access(&self.peer, &doc)? != Access::None {
                    self.state(doc)?;
                }
            }
        }
        let mut messages = Vec::new();
        for (doc, state) in self.states.iter_mut() {
            if let Some(message) = self.docs.generate(doc, state)? {
                let data = message.encode();
                self.report.bytes_sent += data.len();
                messages.push(DocMessage { doc: (*doc).into(), data });
            }
        }
        self.report.messages_sent += messages.len();
        self.report.rounds += 1;
        Ok(SyncBatch::new(messages))
    }

    /// Applies a batch from the peer. A document's bad or forbidden message is refused (and
    /// listed in the returned rejections) without stopping the others; a storage failure stops the
    /// session.
    pub fn incoming(&mut self, batch: &SyncBatch) -> Result<Vec<Rejection>, DocFailure> {
        let mut rejected = Vec::new();
        for r in &batch.rejected {
            if let Ok(doc) = DocId::try_from(r.doc) {
                self.report.refused_by_peer.push((doc, r.reason));
                // Stop offering it this session.
                self.states.remove(&doc);
            }
        }
        for m in &batch.messages {
            self.report.messages_received += 1;
            self.report.bytes_received += m.data.len();
            let Ok(doc) = DocId::try_from(m.doc) else {
                rejected.push(Rejection { doc: m.doc, reason: RejectReason::Malformed });
                continue;
            };
            match self.receive_one(doc, &m.data) {
                Ok(()) => {}
                Err(DocFailure::Rejected(reason)) => {
                    self.states.remove(&doc);
                    self.report.refused_by_us.push((doc, reason));
                    rejected.push(Rejection { doc: m.doc, reason });
                }
                Err(storage) => return Err(storage),
            }
        }
        Ok(rejected)
    }

    fn receive_one(&mut self, doc: DocId, data: &[u8]) -> Result<(), DocFailure> {
        let access = self.docs.access(&self.peer, &doc)?;
        let message = Message::decode(data).map_err(|_| DocFailure::Rejected(RejectReason::Malformed))?;
        let writes = !message.changes.is_empty();
        if access == Access::None || (writes && access == Access::Read) {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        let state = self.state(doc)?;
        let mut state_copy = std::mem::take(state);
        let result = self.docs.receive(&doc, &mut state_copy, message);
        self.states.insert(doc, state_copy);
        result
    }

    /// Answers a peer's batch: applies it, then returns our messages and refusals.
    pub fn respond(&mut self, batch: &SyncBatch) -> Result<SyncBatch, DocFailure> {
        let rejected = self.incoming(batch)?;
        let mut out = self.outgoing()?;
        out.rejected = rejected;
        Ok(out)
    }

    /// Persists every document's sync state, marks the documents the peer now holds as synced,
    /// and returns the report.
    pub fn finish(mut self) -> Result<SyncReport, DocFailure> {
        for (doc, state) in &self.states {
            self.docs.save_state(&self.peer, doc, &state.encode())?;
            let Some(mut ours) = self.docs.heads(doc)? else { continue };
            ours.sort();
            let mut theirs = state.their_heads.clone().unwrap_or_default();
            theirs.sort();
            if state.their_heads.is_some() && theirs == ours {
                self.docs.mark_synced(&self.peer, doc, &ours)?;
                self.report.in_sync += 1;
            }
        }
        Ok(self.report)
    }
}
