use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Have, State};
use homevisit_docs::{DocId, untrusted};
use homevisit_protocol::{
    DocMessage, MAX_BATCH_DATA_BYTES, MAX_BATCH_MESSAGES, MessageForm, RejectReason, Rejection, SyncBatch,
};

use crate::{Access, AccessPolicy, CandidateRange, DocFailure, FullAccess, Merged, PeerId, SyncDocs};

/// Messages whose documents' heads are read ahead in one query ([`SyncDocs::read_heads_ahead`]).
const READ_AHEAD_WINDOW: usize = 64;

/// What a session did, in counts (never content).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rounds: usize,
    pub messages_sent: usize,
    pub messages_received: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
    /// Whole request and response bodies (batches, framing included), where a transport counts them.
    pub body_bytes_sent: usize,
    pub body_bytes_received: usize,
    /// Documents the peer now holds exactly as we do.
    pub in_sync: usize,
    /// Documents the peer refused, and why.
    pub refused_by_peer: Vec<(DocId, RejectReason)>,
    /// Documents whose messages we refused.
    pub refused_by_us: Vec<(DocId, RejectReason)>,
    /// Documents whose content changed here because of what the peer sent (their heads moved),
    /// each once, in the order they first changed.
    pub changed: Vec<DocId>,
}

/// One sync session with one peer, under an access policy `P` (a device's own: [`FullAccess`]).
/// See the crate docs. The session holds no borrow of the storage between calls, so a client can
/// release the store while a round is on the network.
pub struct Session<P = FullAccess> {
    peer: PeerId,
    policy: P,
    states: BTreeMap<DocId, State>,
    /// Documents the peer refused this session: left alone until the next session.
    refused: BTreeSet<DocId>,
    /// Documents never synced with this peer: sent whole, as stored, in the next batch.
    snapshots_due: BTreeSet<DocId>,
    /// "I hold these heads" answers due in the next batch (after merging a peer's snapshot).
    holds_due: BTreeMap<DocId, Vec<ChangeHash>>,
    /// What the peer said it holds, for documents exchanged as snapshots.
    peer_holds: BTreeMap<DocId, Vec<ChangeHash>>,
    /// Every document this session has dealt with (for progress, and so none is offered twice).
    touched: BTreeSet<DocId>,
    /// If set, the only documents this session offers or accepts (see [`Session::limited_to`]).
    only: Option<BTreeSet<DocId>>,
    offered: bool,
    /// Documents that had something to send in the last `outgoing`.
    last_pending: usize,
    /// The peer's last batch said it had more to send than it held.
    peer_has_more: bool,
    /// Most messages one outgoing batch holds (see [`Session::paged`]).
    page_messages: usize,
    /// A paged session offers no more documents than a page holds (see [`Session::paged`]).
    paged_offer: bool,
    /// The offer stopped at a page's worth of documents.
    offer_cut: bool,
    /// A paged offer starts after this document (see [`Session::resume_offer_after`]).
    offer_from: Option<DocId>,
    /// A paged offer stops at the last candidate rather than going round (see
    /// [`Session::offer_ahead_only`]).
    offer_ahead_only: bool,
    /// The last document a cut offer considered (see [`Session::offer_resume`]).
    offer_resume: Option<DocId>,
    /// The peer has more to send: this batch offers nothing (see [`Session::defer_offer`]).
    offer_deferred: bool,
    report: SyncReport,
    /// Every time receiving changed a document, in order, repeats included: a live session keeps
    /// receiving a partner's edits to one document, and each must be told (the report lists a
    /// document once).
    change_events: Vec<DocId>,
}

impl Session {
    /// A session of this device's own (it may read and write whatever it holds).
    pub fn new(peer: PeerId) -> Self {
        Self::with_policy(peer, FullAccess)
    }
}

impl<P> Session<P> {
    /// A session in which `policy` decides what `peer` may read and write.
    pub fn with_policy(peer: PeerId, policy: P) -> Self {
        Self {
            peer,
            policy,
            states: BTreeMap::new(),
            refused: Default::default(),
            snapshots_due: Default::default(),
            holds_due: Default::default(),
            peer_holds: Default::default(),
            touched: Default::default(),
            only: None,
            offered: false,
            last_pending: 0,
            peer_has_more: false,
            page_messages: MAX_BATCH_MESSAGES,
            paged_offer: false,
            offer_cut: false,
            offer_from: None,
            offer_ahead_only: false,
            offer_resume: None,
            offer_deferred: false,
            report: SyncReport::default(),
            change_events: Vec::new(),
        }
    }

    /// Sends at most `messages` messages per batch (and never more than the protocol's
    /// [`MAX_BATCH_MESSAGES`]), and offers no more documents than that: a relay answers each
    /// request in a small page, with a session per request, so no request holds its storage long
    /// (however many documents a device has still to receive); the batch says
    /// [`SyncBatch::more`], and the device's next request gets the next page.
    pub fn paged(mut self, messages: usize) -> Self {
        self.set_page_messages(messages);
        self.paged_offer = true;
        self
    }

    /// Sends at most `messages` messages of its own (documents and sync messages) in the next
    /// batches, past the answers to what the peer sent (which are never held back); the protocol's
    /// [`MAX_BATCH_MESSAGES`] still bounds a batch. A device's upload starts with small batches so
    /// the relay starts working while the device prepares the next, larger one.
    pub fn set_page_messages(&mut self, messages: usize) {
        self.page_messages = messages.clamp(1, MAX_BATCH_MESSAGES);
    }

    /// A paged offer goes round the candidates: this one starts after `cursor` (where the last
    /// page stopped, [`Session::offer_resume`]) and wraps round to it. So each page costs what it
    /// offers, however many documents earlier pages already settled, and every candidate is
    /// still considered before an offer ends uncut.
    pub fn resume_offer_after(&mut self, cursor: Option<DocId>) {
        self.offer_from = cursor;
    }

    /// The peer is still storing the last page it was sent (it asked for the next one ahead, see
    /// the client's pipelined download): this offer goes from the cursor to the last candidate
    /// and not round to the first, since the documents just before the cursor, the ones that page
    /// offered, are not acknowledged yet and would be offered again. The peer's next request,
    /// once it has acknowledged them, goes round as usual.
    pub fn offer_ahead_only(&mut self) {
        self.offer_ahead_only = true;
    }

    /// Where the next page's offer should start: the last document this session's offer
    /// considered if the page cut it short, `None` if it went all the way round.
    pub fn offer_resume(&self) -> Option<DocId> {
        self.offer_resume
    }

    /// The peer said it has more to send (a first sync uploading many pages): this batch offers
    /// nothing and says more follows; the offer comes once the peer has sent everything, so an
    /// upload of N documents does not list the candidates N/page times.
    pub fn defer_offer(&mut self) {
        self.offer_deferred = true;
    }

    /// Documents changed here so far by what the peer sent (as [`SyncReport::changed`]).
    pub fn changed(&self) -> &[DocId] {
        &self.report.changed
    }

    /// How many times receiving has changed a document so far (repeats included): what arrived
    /// after a point is [`Session::changed_since`] it.
    pub fn change_count(&self) -> usize {
        self.change_events.len()
    }

    /// The documents changed since `count` changes ([`Session::change_count`]), each once, in
    /// order: a document changed again by a later reply is listed again for that reply.
    pub fn changed_since(&self, count: usize) -> Vec<DocId> {
        let mut docs: Vec<DocId> = Vec::new();
        for doc in self.change_events.get(count..).unwrap_or_default() {
            if !docs.contains(doc) {
                docs.push(*doc);
            }
        }
        docs
    }

    /// Whether the peer's last batch said more was to follow: ask again before settling.
    pub fn peer_has_more(&self) -> bool {
        self.peer_has_more
    }

    pub fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// Limits the session to `docs`: it offers no other document and refuses (as forbidden) every
    /// message about another. Two phones syncing directly share one visit this way, nothing more.
    pub fn limited_to(mut self, docs: impl IntoIterator<Item = DocId>) -> Self {
        self.only = Some(docs.into_iter().collect());
        self
    }

    fn in_scope(&self, doc: &DocId) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(doc))
    }

    fn state<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, doc: DocId) -> Result<&mut State, DocFailure> {
        if !self.states.contains_key(&doc) {
            let state = decode_state(docs.load_state(&self.peer, &doc)?);
            self.states.insert(doc, state);
            self.touched.insert(doc);
        }
        Ok(self.states.get_mut(&doc).expect("inserted above"))
    }

    /// The messages to send now. The first call offers every candidate document.
    pub fn outgoing<S: SyncDocs + ?Sized>(&mut self, docs: &mut S) -> Result<SyncBatch, DocFailure>
    where
        P: AccessPolicy<S>,
    {
        if !self.offered {
            self.offered = true;
            if self.offer_deferred {
                self.offer_cut = true;
            } else if self.paged_offer {
                self.offer_page(docs)?;
            } else {
                for doc in docs.candidates(&self.peer)? {
                    self.consider_offering(docs, doc)?;
                }
            }
        }
        // Answers first (they settle what the peer sent), then whole documents, then messages;
        // a batch is full at its message count or data budget (its last message may pass the
        // budget: a document is bounded, `homevisit_docs::limits::MAX_DOCUMENT_BYTES`).
        // Answers are never held back for a later page: they are what acknowledges the peer's
        // documents (a relay's session ends with its request), they are small, and there are
        // never more than the batch they answer had messages. A page's worth comes after them.
        let mut page = Page::new(MAX_BATCH_MESSAGES);
        while !page.full() {
            let Some((doc, heads)) = self.holds_due.pop_first() else { break };
            page.push(DocMessage { doc: doc.into(), form: MessageForm::Holds, data: Vec::new(), heads: wire(&heads) });
        }
        page.max_messages = (page.messages.len() + self.page_messages).min(MAX_BATCH_MESSAGES);
        let due: Vec<DocId> =
            self.snapshots_due.iter().take(page.max_messages.saturating_sub(page.messages.len())).copied().collect();
        if !due.is_empty() {
            docs.read_snapshots_ahead(&due)?;
        }
        while !page.full() {
            let Some(doc) = self.snapshots_due.pop_first() else { break };
            let (data, heads) = match docs.snapshot(&doc) {
                Ok(stored) => stored,
                // This document cannot be sent (gone, or unreadable): the others still are.
                Err(DocFailure::Rejected(_)) => continue,
                Err(storage) => return Err(storage),
            };
            self.report.bytes_sent += data.len();
            page.push(DocMessage { doc: doc.into(), form: MessageForm::Snapshot, data, heads: wire(&heads) });
        }
        let mut unsendable = Vec::new();
        let mut unasked = false;
        for (doc, state) in self.states.iter_mut() {
            if page.full() {
                // Not asked this time: a later batch (or, on a relay, the next request) does.
                unasked = true;
                break;
            }
            match contain_panic(|| docs.generate(doc, state)) {
                Ok(Some(message)) => {
                    let data = message.encode();
                    self.report.bytes_sent += data.len();
                    page.push(DocMessage::sync((*doc).into(), data));
                }
                Ok(None) => {}
                // A document that cannot say anything (unreadable here): left alone this session.
                Err(DocFailure::Rejected(_)) => unsendable.push(*doc),
                Err(storage) => return Err(storage),
            }
        }
        let more = unasked || self.offer_cut || !self.holds_due.is_empty() || !self.snapshots_due.is_empty();
        let messages = page.messages;
        for doc in unsendable {
            self.states.remove(&doc);
            self.refused.insert(doc);
        }
        self.report.messages_sent += messages.len();
        self.report.rounds += 1;
        self.last_pending = messages.len();
        let mut batch = SyncBatch::new(messages);
        batch.more = more;
        Ok(batch)
    }

    /// Offers up to a page's worth of candidates, going round from [`Session::offer_from`]: after
    /// it to the last, then from the first up to it, a part ([`CandidateRange`]) at a time.
    fn offer_page<S: SyncDocs + ?Sized>(&mut self, docs: &mut S) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        // A part is a little larger than a page: documents this peer may not read are skipped in
        // it, and a part that comes up short is followed by the next. (Twice a page listed twice
        // what a page took: a fifth of the relay's time answering one.)
        let part = self.page_messages.saturating_add(self.page_messages / 8).max(64);
        let passes: Vec<(Option<DocId>, Option<DocId>)> = match self.offer_from {
            Some(cursor) if self.offer_ahead_only => vec![(Some(cursor), None)],
            Some(cursor) => vec![(Some(cursor), None), (None, Some(cursor))],
            // The last offer went all the way: nothing is ahead of it.
            None if self.offer_ahead_only => vec![],
            None => vec![(None, None)],
        };
        for (mut after, upto) in passes {
            loop {
                let range = CandidateRange { after: after.as_ref(), upto: upto.as_ref(), limit: part };
                let found = docs.candidates_in(&self.peer, range)?;
                let last = found.len() < part;
                for doc in found {
                    if self.snapshots_due.len() + self.states.len() >= self.page_messages {
                        self.offer_cut = true;
                        return Ok(());
                    }
                    self.consider_offering(docs, doc)?;
                    self.offer_resume = Some(doc);
                    after = Some(doc);
                }
                if last {
                    break;
                }
            }
        }
        self.offer_resume = None;
        Ok(())
    }

    /// Offers `doc` unless no one may read it, or this session already settled it (a snapshot or
    /// "holds" that arrived in the batch this one answers).
    fn consider_offering<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, doc: DocId) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        if !self.in_scope(&doc)
            || self.policy.access(docs, &self.peer, &doc)? == Access::None
            || self.touched.contains(&doc)
        {
            return Ok(());
        }
        self.touched.insert(doc);
        match docs.load_state(&self.peer, &doc)? {
            // Never synced with this peer: send it whole, as stored (no load, one round trip).
            None => {
                self.snapshots_due.insert(doc);
            }
            Some(bytes) => {
                self.states.insert(doc, decode_state(Some(bytes)));
            }
        }
        Ok(())
    }

    /// Counts whole bodies a transport sent and received for this session.
    pub fn count_bodies(&mut self, sent: usize, received: usize) {
        self.report.body_bytes_sent += sent;
        self.report.body_bytes_received += received;
    }

    /// Progress so far: (documents settled, documents in this session, report).
    pub fn progress(&self) -> (usize, usize, &SyncReport) {
        let total = self.touched.len();
        (total.saturating_sub(self.last_pending), total, &self.report)
    }

    /// Applies a batch from the peer. A document's bad or forbidden message is refused (and
    /// listed in the returned rejections) without stopping the others; a storage failure stops the
    /// session.
    pub fn incoming<S: SyncDocs + ?Sized>(
        &mut self,
        docs: &mut S,
        batch: &SyncBatch,
    ) -> Result<Vec<Rejection>, DocFailure>
    where
        P: AccessPolicy<S>,
    {
        self.peer_has_more = batch.more;
        let (busy, refused): (Vec<_>, Vec<_>) =
            batch.rejected.iter().cloned().partition(|r| r.reason == RejectReason::Busy);
        self.peer_refused(&refused);
        // The peer had no time for these in that request: sent again in the next batch, a
        // document whole as before, or a message with every change since the heads both sides
        // last agreed on.
        for doc in busy.iter().filter_map(|r| DocId::try_from(r.doc).ok()) {
            if self.states.contains_key(&doc) {
                let fresh = decode_state(docs.load_state(&self.peer, &doc)?);
                self.states.insert(doc, fresh);
            } else if self.touched.contains(&doc) {
                self.snapshots_due.insert(doc);
            }
        }
        self.incoming_messages(docs, &batch.messages)
    }

    /// Notes the peer's refusals (part of [`Session::incoming`]; a relay, whose session is one
    /// request, notes only these).
    pub fn peer_refused(&mut self, refusals: &[Rejection]) {
        for r in refusals {
            if let Ok(doc) = DocId::try_from(r.doc) {
                self.report.refused_by_peer.push((doc, r.reason));
                // Stop offering it this session.
                self.states.remove(&doc);
                self.refused.insert(doc);
            }
        }
    }

    /// Applies some of a peer batch's messages (part of [`Session::incoming`]: a relay applies a
    /// large batch a part at a time, each part its own transaction). Returns this part's refusals.
    pub fn incoming_messages<S: SyncDocs + ?Sized>(
        &mut self,
        docs: &mut S,
        messages: &[DocMessage],
    ) -> Result<Vec<Rejection>, DocFailure>
    where
        P: AccessPolicy<S>,
    {
        let mut rejected = Vec::new();
        // Worked on beside the writes, in order, a bounded distance ahead of them.
        let snapshots: Vec<(DocId, &[u8])> = messages
            .iter()
            .filter(|m| m.form == MessageForm::Snapshot)
            .filter_map(|m| Some((DocId::try_from(m.doc).ok()?, m.data.as_slice())))
            .filter(|(doc, _)| !self.refused.contains(doc) && self.in_scope(doc))
            .collect();
        if !snapshots.is_empty() {
            docs.preload_snapshots(&snapshots);
        }
        for window in messages.chunks(READ_AHEAD_WINDOW) {
            // The others are answered from the document's heads (and its access): one read.
            let asked: Vec<DocId> = window
                .iter()
                .filter(|m| m.form != MessageForm::Snapshot)
                .filter_map(|m| DocId::try_from(m.doc).ok())
                .filter(|doc| !self.refused.contains(doc) && self.in_scope(doc))
                .collect();
            if !asked.is_empty() {
                docs.read_heads_ahead(&asked)?;
            }
            self.incoming_window(docs, window, &mut rejected)?;
        }
        docs.preload_snapshots(&[]);
        Ok(rejected)
    }

    fn incoming_window<S: SyncDocs + ?Sized>(
        &mut self,
        docs: &mut S,
        window: &[DocMessage],
        rejected: &mut Vec<Rejection>,
    ) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        for m in window {
            self.report.messages_received += 1;
            self.report.bytes_received += m.data.len();
            let Ok(doc) = DocId::try_from(m.doc) else {
                rejected.push(Rejection { doc: m.doc, reason: RejectReason::Malformed });
                continue;
            };
            if self.refused.contains(&doc) {
                continue;
            }
            if !self.in_scope(&doc) {
                self.report.refused_by_us.push((doc, RejectReason::Forbidden));
                rejected.push(Rejection { doc: m.doc, reason: RejectReason::Forbidden });
                continue;
            }
            // The storage contains Automerge's panics on crafted bytes itself; this is the
            // backstop for any that slips through: the document is refused, the batch goes on.
            let result = contain_panic(|| match m.form {
                MessageForm::Sync => self.receive_one(docs, doc, &m.data),
                MessageForm::Snapshot => self.receive_snapshot(docs, doc, m),
                MessageForm::Holds => self.receive_holds(docs, doc, m),
            });
            match result {
                Ok(()) => {}
                Err(DocFailure::Rejected(reason)) => {
                    // Whatever is wrong with a message about a document this side does not hold,
                    // the answer is the one for a document the peer may not read: whether a
                    // document exists here is not the peer's to learn.
                    // (Over a quota or the request's budget is not about the document: the relay
                    // answers those alike for documents it holds and does not.)
                    let about_the_document = matches!(reason, RejectReason::Forbidden | RejectReason::Malformed);
                    let reason = if about_the_document && docs.heads(&doc)?.is_none() {
                        RejectReason::Forbidden
                    } else {
                        reason
                    };
                    self.states.remove(&doc);
                    self.report.refused_by_us.push((doc, reason));
                    rejected.push(Rejection { doc: m.doc, reason });
                }
                Err(storage) => return Err(storage),
            }
        }
        Ok(())
    }

    fn receive_one<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, doc: DocId, data: &[u8]) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        // Whether a message *changes* a read-only document depends on what the document already
        // holds, so write permission is enforced by the storage's `receive`; here only reading.
        self.readable(docs, doc)?;
        let message =
            untrusted::decode_sync_message(data).map_err(|_| DocFailure::Rejected(RejectReason::Malformed))?;
        let state = self.state(docs, doc)?;
        let merged = docs.receive(&doc, state, message)?;
        self.note_merged(doc, merged);
        Ok(())
    }

    /// Refuses (as forbidden) anything about `doc` from a peer that may not even read it.
    fn readable<S: SyncDocs + ?Sized>(&self, docs: &mut S, doc: DocId) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        if self.policy.access(docs, &self.peer, &doc)? == Access::None {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        Ok(())
    }

    /// Lists `doc` in the report's changes (once) if receiving changed it.
    fn note_merged(&mut self, doc: DocId, merged: Merged) {
        if merged != Merged::Changed {
            return;
        }
        self.change_events.push(doc);
        if !self.report.changed.contains(&doc) {
            self.report.changed.push(doc);
        }
    }

    fn receive_snapshot<S: SyncDocs + ?Sized>(
        &mut self,
        docs: &mut S,
        doc: DocId,
        m: &DocMessage,
    ) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        self.readable(docs, doc)?;
        let merged = docs.receive_snapshot(&doc, &m.data)?;
        self.note_merged(doc, merged);
        self.touched.insert(doc);
        let ours = sorted(docs.heads(&doc)?.unwrap_or_default());
        self.peer_holds.insert(doc, sorted(unwire(&m.heads)));
        self.holds_due.insert(doc, ours);
        Ok(())
    }

    fn receive_holds<S: SyncDocs + ?Sized>(
        &mut self,
        docs: &mut S,
        doc: DocId,
        m: &DocMessage,
    ) -> Result<(), DocFailure>
    where
        P: AccessPolicy<S>,
    {
        // "I hold these heads" about a document we do not have, or that the peer may not read,
        // is refused with the same answer: whether a document exists is not the peer's to learn.
        let Some(ours) = docs.heads(&doc)? else { return Err(DocFailure::Rejected(RejectReason::Forbidden)) };
        self.readable(docs, doc)?;
        let theirs = sorted(unwire(&m.heads));
        if theirs != sorted(ours) {
            // We differ (each had something the other lacked): settle it with Automerge's protocol.
            self.state(docs, doc)?;
        }
        self.peer_holds.insert(doc, theirs);
        self.touched.insert(doc);
        Ok(())
    }

    /// Answers a peer's batch: applies it, then returns our messages and refusals.
    pub fn respond<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, batch: &SyncBatch) -> Result<SyncBatch, DocFailure>
    where
        P: AccessPolicy<S>,
    {
        let rejected = self.incoming(docs, batch)?;
        let mut out = self.outgoing(docs)?;
        out.rejected = rejected;
        Ok(out)
    }

    /// Persists every document's sync state, marks the documents the peer now holds as synced,
    /// and returns the report.
    pub fn finish<S: SyncDocs + ?Sized>(mut self, docs: &mut S) -> Result<SyncReport, DocFailure> {
        while !self.persist_some(docs, usize::MAX)? {}
        Ok(self.report)
    }

    /// [`Session::finish`] a part at a time: persists at most `max` documents' states and marks,
    /// and returns whether every document is done (then [`Session::into_report`]). A relay
    /// persists a large session over several short transactions this way. Nothing may be sent or
    /// received once this has begun.
    pub fn persist_some<S: SyncDocs + ?Sized>(&mut self, docs: &mut S, max: usize) -> Result<bool, DocFailure> {
        let mut done = 0;
        let next: Vec<DocId> = self.peer_holds.keys().chain(self.states.keys()).take(max).copied().collect();
        docs.read_heads_ahead(&next)?;
        // Documents exchanged whole: in sync if the peer holds exactly what we hold.
        while done < max {
            let Some((doc, theirs)) = self.peer_holds.pop_first() else { break };
            if self.states.contains_key(&doc) {
                continue;
            }
            done += 1;
            let Some(ours) = docs.heads(&doc)? else { continue };
            let ours = sorted(ours);
            if theirs == ours {
                docs.mark_synced_whole(&self.peer, &doc, &ours)?;
                self.report.in_sync += 1;
            }
        }
        while done < max {
            let Some((doc, state)) = self.states.pop_first() else { break };
            done += 1;
            docs.save_state(&self.peer, &doc, &state.encode())?;
            let Some(mut ours) = docs.heads(&doc)? else { continue };
            ours.sort();
            let mut theirs = state.their_heads.clone().unwrap_or_default();
            theirs.sort();
            if state.their_heads.is_some() && theirs == ours {
                docs.mark_synced(&self.peer, &doc, &ours)?;
                self.report.in_sync += 1;
            }
        }
        Ok(self.peer_holds.is_empty() && self.states.is_empty())
    }

    /// What the session did (once [`Session::persist_some`] is done).
    pub fn into_report(self) -> SyncReport {
        self.report
    }
}

/// One outgoing batch being filled.
struct Page {
    messages: Vec<DocMessage>,
    data_bytes: usize,
    max_messages: usize,
}

impl Page {
    fn new(max_messages: usize) -> Self {
        Self { messages: Vec::new(), data_bytes: 0, max_messages }
    }

    fn full(&self) -> bool {
        self.messages.len() >= self.max_messages || self.data_bytes >= MAX_BATCH_DATA_BYTES
    }

    fn push(&mut self, message: DocMessage) {
        self.data_bytes += message.data.len();
        self.messages.push(message);
    }
}

/// A persisted state keeps only the shared heads: decoding it starts a fresh session, which
/// assumes the peer holds those heads (they are what the peer itself declared, and a peer never
/// loses what it stored), so the first message already carries every change made since: one round
/// trip instead of two for an edit, and a live answer that brings the change itself. Were the
/// assumption wrong, the peer asks for what it lacks and Automerge's protocol settles it as usual.
fn decode_state(bytes: Option<Vec<u8>>) -> State {
    let mut state = bytes.and_then(|b| State::decode(&b).ok()).unwrap_or_default();
    if !state.shared_heads.is_empty() {
        state.their_have = Some(vec![Have { last_sync: state.shared_heads.clone(), bloom: BloomFilter::default() }]);
        state.their_need = Some(Vec::new());
    }
    state
}

/// Runs one document's step, turning a panic into a refusal of that document as malformed.
fn contain_panic<R>(step: impl FnOnce() -> Result<R, DocFailure>) -> Result<R, DocFailure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step))
        .unwrap_or(Err(DocFailure::Rejected(RejectReason::Malformed)))
}

fn wire(heads: &[ChangeHash]) -> Vec<[u8; 32]> {
    heads.iter().map(|h| h.0).collect()
}

fn unwire(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|h| ChangeHash(*h)).collect()
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
