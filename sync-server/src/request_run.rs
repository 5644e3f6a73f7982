//! One device's sync request, run over a backend's storage in short transactions: the same steps
//! for every backend (each only says how to open a transaction).

use std::time::{Duration, Instant};

use homevisit_protocol::{Rejection, SyncBatch};
use homevisit_sync::{DocFailure, Session};

use crate::backend::{Changed, DocStorage, SyncOutcome, SyncRequest};
use crate::policy::DevicePolicy;
use crate::relay_docs::RelayDocs;

/// Most messages of a request applied per transaction: a large batch is applied a part at a
/// time, so no request holds the storage (the embedded relay's one connection, or PostgreSQL's
/// per-document locks) for long, and other devices' syncs interleave with it. Each part is
/// committed before the answer leaves, as the whole request used to be: what the answer
/// acknowledges is stored. Also the most sync states an answer persists per transaction.
///
/// A part is mostly bounded by [`STEP_TIME`]; this bounds one of light messages (acknowledgements
/// cost microseconds: at 64 a page's acknowledgements took four transactions, each with its
/// writes of states and marks and, on PostgreSQL, its round trips).
pub const STEP_MESSAGES: usize = 256;

/// A part also ends once it has worked this long (checked between slices, see [`SlicePace`]):
/// new records cost a few milliseconds each, questions microseconds.
pub const STEP_TIME: Duration = Duration::from_millis(10);

/// A part of a request no other request is being answered beside or waiting behind
/// ([`SyncRequest::alone`]) may work this long instead: fewer commits, each of which writes every
/// index page its part touched (ids are random, so at 5,000 visits nearly one page per document
/// and index: a 10 ms part's commit was a fifth of an upload's time; 25 ms parts made it 18%
/// faster). The next part looks again, so a request that arrives waits for one such part at most.
pub const LONE_STEP_TIME: Duration = Duration::from_millis(40);

/// Messages handed to the session in a request's first slice of a part; later slices are sized
/// by [`SlicePace`].
const FIRST_SLICE: usize = 8;

/// Messages in one answer of the relay: a device with more to receive gets them over several
/// requests ([`homevisit_protocol::SyncBatch::more`]), so answering one request stays short. (At
/// 250, a first download of 1,000 visits took 15 round trips, each a commit on the phone costing
/// about the same however many documents it holds; 500 made that download 6% faster.)
pub const REPLY_PAGE_MESSAGES: usize = 500;

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
    /// How many messages the next slice of a part may hand the session.
    pace: SlicePace,
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
        if request.ahead {
            session.offer_ahead_only();
        }
        Self {
            request,
            session: Some(session),
            applied: 0,
            rejected: Vec::new(),
            changed: Vec::new(),
            ops: 0,
            pace: SlicePace::default(),
            reply: None,
        }
    }

    pub(crate) fn has_incoming(&self) -> bool {
        self.applied < self.request.batch.messages.len()
    }

    /// Applies the next part of the request's messages (at most [`STEP_MESSAGES`], or
    /// [`STEP_TIME`] of work; [`LONE_STEP_TIME`] when the request is alone). Returns what this part stored (other devices may have something to
    /// receive once it commits).
    pub(crate) fn apply_next<D: DocStorage>(&mut self, storage: &mut D) -> Result<Vec<Changed>, DocFailure> {
        let messages = &self.request.batch.messages;
        let end = messages.len().min(self.applied + STEP_MESSAGES);
        let session = self.session.as_mut().expect("answer ends the run");
        let mut docs = RelayDocs::new(storage, self.request, self.ops);
        let started = Instant::now();
        let step_time = if (self.request.alone)() { LONE_STEP_TIME } else { STEP_TIME };
        while self.applied < end && (started.elapsed() < step_time) {
            let take = self.pace.next_slice(step_time.saturating_sub(started.elapsed()));
            let slice = &messages[self.applied..end.min(self.applied + take)];
            let sliced = Instant::now();
            self.rejected.extend(session.incoming_messages(&mut docs, slice)?);
            self.pace.took(slice.len(), sliced.elapsed());
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

/// The size of the slices a part hands the session: as many messages as this request's last slice
/// says fit in what is left of the part's time, at most twice the last allowance (so a run of
/// light messages does not wave a long run of heavy ones through at once), at least one.
///
/// Why slices: the part's time is checked between them. Why not slices of a few messages always:
/// each slice is read ahead (PostgreSQL: a few round trips) and worked on across the cores as one,
/// so small slices cost most of that (W1 on PostgreSQL: 2,000 round trips for 2,000 documents in
/// slices of 8). Whatever the slices, a request's work is bounded by its operations
/// (`Bounds::request_ops`), and what is worked on ahead of a slice by what is left of them
/// ([`crate::relay_docs`]).
#[derive(Debug, Default)]
pub(crate) struct SlicePace {
    /// Messages the last slice was allowed (0: none yet).
    allowed: usize,
    /// Time per message in the last slice.
    per_message: Option<Duration>,
}

impl SlicePace {
    /// Messages the next slice may take, with `left` of the part's time.
    pub(crate) fn next_slice(&mut self, left: Duration) -> usize {
        let allowed = match self.per_message {
            None => FIRST_SLICE,
            Some(per_message) => {
                let fit = left.as_nanos() / per_message.as_nanos().max(1);
                usize::try_from(fit).unwrap_or(usize::MAX).clamp(1, (2 * self.allowed).min(STEP_MESSAGES))
            }
        };
        self.allowed = allowed;
        allowed
    }

    /// The last slice took `took` for `messages` messages.
    pub(crate) fn took(&mut self, messages: usize, took: Duration) {
        if let Some(per_message) = u32::try_from(messages).ok().filter(|n| *n > 0).map(|n| took / n) {
            self.per_message = Some(per_message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn slices_start_small_and_at_most_double_while_messages_are_light() {
        let mut pace = SlicePace::default();
        assert_eq!(pace.next_slice(STEP_TIME), FIRST_SLICE);
        // Light messages (10 µs each): far more would fit; each slice at most doubles, up to a part.
        let mut sizes = Vec::new();
        for _ in 0..7 {
            let n = pace.next_slice(STEP_TIME);
            pace.took(n, n as u32 * MS / 100);
            sizes.push(n);
        }
        assert_eq!(sizes, [8, 16, 32, 64, 128, 256, 256]);
    }

    #[test]
    fn a_heavy_slice_shrinks_the_next_to_what_fits_in_the_time_left() {
        let mut pace = SlicePace::default();
        for _ in 0..4 {
            let n = pace.next_slice(STEP_TIME);
            pace.took(n, n as u32 * MS / 100);
        }
        // 64 messages (the last allowance) that took 2 ms each: 3 ms left fits one more; never fewer than one.
        pace.took(64, 128 * MS);
        assert_eq!(pace.next_slice(3 * MS), 1);
        assert_eq!(pace.next_slice(Duration::ZERO), 1);
        // At 0.25 ms a message, 10 ms fits 40, but the allowance regrows from 1 by doubling.
        pace.took(1, MS / 4);
        assert_eq!(pace.next_slice(STEP_TIME), 2);
        pace.took(2, MS / 2);
        assert_eq!(pace.next_slice(STEP_TIME), 4);
    }
}
