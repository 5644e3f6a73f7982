//! One device's sync request, run over a backend's storage in short transactions: the same steps
//! for every backend (each only says how to open a transaction).

use homevisit_protocol::{Rejection, SyncBatch};
use homevisit_sync::{DocFailure, Session};

use crate::backend::{Changed, DocStorage, SyncOutcome, SyncRequest};
use crate::policy::DevicePolicy;
use crate::relay_docs::RelayDocs;

/// Most messages of a request applied per transaction: a large batch is applied a part at a
/// time, so no request holds the storage (the embedded relay's one connection, or PostgreSQL's
/// per-document locks) for long, and other devices' syncs interleave with it. Each part is
/// committed before the answer leaves, as the whole request used to be: what the answer
/// acknowledges is stored.
pub const STEP_MESSAGES: usize = 64;

/// A part also ends once it has worked this long (checked every [`STEP_SLICE`] messages): new
/// records cost a few milliseconds each, questions microseconds.
pub const STEP_TIME: std::time::Duration = std::time::Duration::from_millis(10);

/// Messages handed to the session at a time within a part.
const STEP_SLICE: usize = 8;

/// Messages in one answer of the relay: a device with more to receive gets them over several
/// requests ([`homevisit_protocol::SyncBatch::more`]), so answering one request stays short.
pub const REPLY_PAGE_MESSAGES: usize = 250;

/// One request's session, run over a backend's storage in steps: [`RequestRun::apply_next`] while
/// [`RequestRun::has_incoming`], then [`RequestRun::answer_next`] until it has the outcome, each
/// step in its own transaction.
pub(crate) struct RequestRun<'r> {
    request: &'r SyncRequest<'r>,
    session: Option<Session<DevicePolicy<'r>>>,
    applied: usize,
    rejected: Vec<Rejection>,
    changed: Vec<Changed>,
    /// Operations the request's messages brought so far (against `Bounds::request_ops`).
    ops: u64,
    /// The answer, once made (persisting follows).
    reply: Option<SyncBatch>,
}

impl<'r> RequestRun<'r> {
    pub(crate) fn new(request: &'r SyncRequest<'r>) -> Self {
        // One session per request: state is persisted between requests, so any relay instance
        // can answer the next one, and a lost response only means the device asks again.
        let mut session =
            Session::with_policy(request.device.device_id.peer(), request.policy()).paged(REPLY_PAGE_MESSAGES);
        session.peer_refused(&request.batch.rejected);
        if request.batch.more {
            // The device is still uploading pages: the offer waits for its last one.
            session.defer_offer();
        }
        Self {
            request,
            session: Some(session),
            applied: 0,
            rejected: Vec::new(),
            changed: Vec::new(),
            ops: 0,
            reply: None,
        }
    }

    pub(crate) fn has_incoming(&self) -> bool {
        self.applied < self.request.batch.messages.len()
    }

    /// Applies the next part of the request's messages (at most [`STEP_MESSAGES`], or
    /// [`STEP_TIME`] of work). Returns what this part stored (other devices may have something to
    /// receive once it commits).
    pub(crate) fn apply_next<D: DocStorage>(&mut self, storage: &mut D) -> Result<Vec<Changed>, DocFailure> {
        let messages = &self.request.batch.messages;
        let end = messages.len().min(self.applied + STEP_MESSAGES);
        let session = self.session.as_mut().expect("answer ends the run");
        let mut docs = RelayDocs::new(storage, self.request, self.ops);
        let started = std::time::Instant::now();
        while self.applied < end && (started.elapsed() < STEP_TIME) {
            let slice = &messages[self.applied..end.min(self.applied + STEP_SLICE)];
            self.rejected.extend(session.incoming_messages(&mut docs, slice)?);
            self.applied += slice.len();
        }
        let (changed, ops) = docs.into_outcome();
        self.ops = ops;
        self.changed.extend(changed.iter().cloned());
        Ok(changed)
    }

    /// Answers the request (the relay's messages, and its refusals), then persists sync states
    /// and marks, [`STEP_MESSAGES`] documents per call: the last steps. Returns the outcome once
    /// everything is persisted (`None`: call again, in another transaction).
    pub(crate) fn answer_next<D: DocStorage>(&mut self, storage: &mut D) -> Result<Option<SyncOutcome>, DocFailure> {
        let session = self.session.as_mut().expect("answered once");
        let peer = session.peer().clone();
        // The page's offer starts where this device's last one stopped; where this one stops is
        // recorded in the same transaction as the states it persists first.
        let cursor = match (&self.reply, self.request.batch.more) {
            (None, false) => Some(storage.offer_cursor(&peer)?),
            _ => None,
        };
        if let Some(start) = cursor {
            session.resume_offer_after(start);
        }
        let mut docs = RelayDocs::new(storage, self.request, self.ops);
        if self.reply.is_none() {
            let mut reply = session.outgoing(&mut docs)?;
            reply.rejected = std::mem::take(&mut self.rejected);
            self.reply = Some(reply);
        }
        let persisted = session.persist_some(&mut docs, STEP_MESSAGES)?;
        drop(docs);
        if let Some(start) = cursor
            && session.offer_resume() != start
        {
            storage.save_offer_cursor(&peer, session.offer_resume())?;
        }
        if !persisted {
            return Ok(None);
        }
        let report = self.session.take().expect("answered once").into_report();
        let reply = self.reply.take().expect("made above");
        Ok(Some(SyncOutcome { reply, report, changed: std::mem::take(&mut self.changed) }))
    }
}
