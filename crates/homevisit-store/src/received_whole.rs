//! Documents received whole, worked on before they are written. Loading one strictly, bringing a
//! new one's schema up and checking it, or reading new notes' heads from their header, is CPU work
//! that reads no storage: the machine's spare cores work through a batch's documents, in order and
//! a bounded distance ahead, while the storage's one connection (which writes a document at a
//! time) writes those already done; each write takes its document's result. The device store and
//! both relay storages use it.
//!
//! Nothing failed is kept: bytes that fail anywhere here are worked on again by their write, which
//! meets the same failure and answers it.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{Content, DocError, DocId, untrusted};

use crate::parallel;

/// What a received document's write needs from its bytes. (Most variants hold an `AutoCommit`,
/// which is large; a batch holds a few dozen, each moved once into the map and once out.)
#[allow(clippy::large_enum_variant)]
pub enum ReceivedWhole {
    /// New notes, to be stored as they came under the heads their header declares
    /// ([`untrusted::unloaded_notes_heads`]).
    UnloadedNotes(Vec<ChangeHash>),
    /// A new document: loaded strictly, its schema brought up (`upgraded`: that changed it, so the
    /// bytes it came as are no longer what it is) and checked.
    New { doc: AutoCommit, upgraded: bool, content: Content },
    /// Loaded strictly, nothing more: to merge into the stored document (or a new document whose
    /// write decides itself what it is, such as one with no changes).
    Loaded(AutoCommit),
}

impl ReceivedWhole {
    /// Works on the bytes of document `id`, `is_new` if the storage does not hold it; fails as the
    /// document's write would (a write with no work ahead for it calls this itself).
    pub fn work(id: &DocId, bytes: &[u8], is_new: bool) -> Result<Self, DocError> {
        if is_new && let Some(heads) = untrusted::unloaded_notes_heads(id.kind, bytes)? {
            return Ok(Self::UnloadedNotes(heads));
        }
        let mut doc = untrusted::load_received(id.kind, bytes)?;
        if !is_new || doc.get_heads().is_empty() {
            return Ok(Self::Loaded(doc));
        }
        let (doc, upgraded, content) = upgrade_and_check(id, doc)?;
        Ok(Self::New { doc, upgraded, content })
    }
}

/// Brings a document new here up to the current schema (returning whether that changed it) and
/// checks it ([`homevisit_docs::check`]): what a device does with any document new to it.
pub fn upgrade_and_check(id: &DocId, mut doc: AutoCommit) -> Result<(AutoCommit, bool, Content), DocError> {
    let upgraded = homevisit_docs::upgrade(&mut doc, id.kind)?;
    let content = homevisit_docs::check(id, &doc)?;
    Ok((doc, upgraded, content))
}

/// Documents a batch is about to write whole, worked on ahead, each with the bytes it was worked
/// on from (a write takes the work only for these very bytes).
///
/// The work runs beside the writes rather than before them: [`WorkedAhead::work_on`] returns at
/// once, and spare cores work through the documents in order while the caller writes the ones
/// already done. A write that reaches a document no core has started works on it itself, so the
/// caller is never slower than working alone, and on one core nothing is started at all.
#[derive(Default)]
pub struct WorkedAhead {
    /// Work collected from the running job (or done by the caller), for the writes to take.
    done: HashMap<DocId, (Arc<[u8]>, ReceivedWhole)>,
    /// The documents handed to the spare cores, by position in their job.
    running: Option<Running>,
}

struct Running {
    job: Arc<Job>,
    at: HashMap<DocId, usize>,
}

/// Most documents worked on ahead of the one being written: enough to keep the spare cores busy,
/// few enough that the documents held loaded stay a few MB (a relay's memory matters).
const AHEAD: usize = 64;

/// The documents of one [`WorkedAhead::work_on`], shared with the threads working on them.
struct Job {
    docs: Vec<(DocId, Arc<[u8]>, bool)>,
    state: Mutex<JobState>,
    /// Signalled when a document is done (for a write waiting for it).
    finished: Condvar,
    /// Signalled when a write takes a document, or the job stops (for a spare core at [`AHEAD`]).
    room: Condvar,
    /// Set when the job is replaced or dropped: its threads start nothing more.
    stop: AtomicBool,
}

struct JobState {
    slots: Vec<Slot>,
    /// One past the furthest document a write has taken: the spare cores work up to [`AHEAD`]
    /// beyond it.
    reached: usize,
}

impl JobState {
    /// The end of the documents that may be worked on now.
    fn limit(&self) -> usize {
        self.slots.len().min(self.reached + AHEAD)
    }
}

enum Slot {
    Waiting,
    Working,
    /// `None`: the bytes failed (the write meets the failure again and answers it). Boxed: a slot
    /// waiting is small, and a job has hundreds.
    Done(Option<Box<ReceivedWhole>>),
    Taken,
}

impl Job {
    fn state(&self) -> MutexGuard<'_, JobState> {
        // A thread that panicked holding the lock left the slots as they were: still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Works on the document at `i`; a panic (a bug: the work is contained) counts as a failure.
    fn work(&self, i: usize) -> Option<ReceivedWhole> {
        let (id, bytes, is_new) = &self.docs[i];
        catch_unwind(AssertUnwindSafe(|| ReceivedWhole::work(id, bytes, *is_new).ok())).unwrap_or(None)
    }

    /// Works on the document at `i` (waiting: nobody has started it) with the lock released, and
    /// returns the lock, the work done.
    fn work_unlocked<'a>(&'a self, mut state: MutexGuard<'a, JobState>, i: usize) -> MutexGuard<'a, JobState> {
        state.slots[i] = Slot::Working;
        drop(state);
        let worked = self.work(i);
        let mut state = self.state();
        state.slots[i] = Slot::Done(worked.map(Box::new));
        self.finished.notify_all();
        state
    }

    /// A spare core's loop: the first document nobody has started, in order, up to [`AHEAD`] of
    /// the writes, until none is left or the job stops.
    fn run(&self) {
        let mut state = self.state();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let limit = state.limit();
            match (state.reached..limit).find(|&i| matches!(state.slots[i], Slot::Waiting)) {
                Some(i) => state = self.work_unlocked(state, i),
                None if limit == state.slots.len() => return,
                None => state = self.room.wait(state).unwrap_or_else(|p| p.into_inner()),
            }
        }
    }

    /// The work on the document at `i`: done here if nobody has started it. While a spare core is
    /// on it, this thread works on the last document nobody has started (the spare cores work
    /// from the front), and waits when there is none. `None` if it failed or was taken before.
    fn take(&self, i: usize) -> Option<ReceivedWhole> {
        let mut state = self.state();
        if i >= state.reached {
            state.reached = i + 1;
            self.room.notify_all();
        }
        loop {
            match std::mem::replace(&mut state.slots[i], Slot::Taken) {
                Slot::Waiting => {
                    drop(state);
                    return self.work(i);
                }
                Slot::Done(worked) => return worked.map(|w| *w),
                Slot::Taken => return None,
                Slot::Working => {
                    state.slots[i] = Slot::Working;
                    let limit = state.limit();
                    match (i + 1..limit).rev().find(|&j| matches!(state.slots[j], Slot::Waiting)) {
                        Some(j) => state = self.work_unlocked(state, j),
                        None => state = self.finished.wait(state).unwrap_or_else(|p| p.into_inner()),
                    }
                }
            }
        }
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        // Under the lock, so a spare core cannot miss it between its check and its wait.
        let _state = self.state();
        self.room.notify_all();
    }
}

impl WorkedAhead {
    /// Replaces what was worked on before with `docs` (each with whether it is new here), worked on
    /// by the spare cores from now on. An empty list frees it.
    pub fn work_on(&mut self, docs: &[(DocId, &[u8], bool)]) {
        self.clear();
        if docs.is_empty() {
            return; // every session's last call: nothing to start
        }
        let spare = parallel::cores().saturating_sub(1).min(docs.len());
        let at = docs.iter().enumerate().map(|(i, (id, _, _))| (*id, i)).collect();
        let job = Arc::new(Job {
            docs: docs.iter().map(|(id, bytes, is_new)| (*id, Arc::from(*bytes), *is_new)).collect(),
            state: Mutex::new(JobState { slots: docs.iter().map(|_| Slot::Waiting).collect(), reached: 0 }),
            finished: Condvar::new(),
            room: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        for _ in 0..spare {
            let job = Arc::clone(&job);
            // A thread that cannot be started leaves its documents to the writes.
            let _ = std::thread::Builder::new().name("worked-ahead".into()).spawn(move || job.run());
        }
        self.running = Some(Running { job, at });
    }

    /// Moves the work on `id`, if it was handed out, into `done` (waiting for it if need be).
    fn collect(&mut self, id: &DocId) {
        let Some(running) = self.running.as_mut() else { return };
        let Some(i) = running.at.remove(id) else { return };
        if let Some(worked) = running.job.take(i) {
            self.done.insert(*id, (Arc::clone(&running.job.docs[i].1), worked));
        }
    }

    /// The work on a new document (its check or its notes' heads) if it was done on these bytes.
    pub fn take_new(&mut self, id: &DocId, bytes: &[u8]) -> Option<ReceivedWhole> {
        self.collect(id);
        match self.done.get(id) {
            Some((from, ReceivedWhole::New { .. } | ReceivedWhole::UnloadedNotes(_))) if **from == *bytes => {
                self.done.remove(id).map(|(_, worked)| worked)
            }
            _ => None,
        }
    }

    /// The document loaded (and nothing more) from these bytes, if it was.
    pub fn take_loaded(&mut self, id: &DocId, bytes: &[u8]) -> Option<AutoCommit> {
        self.collect(id);
        match self.done.get(id) {
            Some((from, ReceivedWhole::Loaded(_))) if **from == *bytes => match self.done.remove(id) {
                Some((_, ReceivedWhole::Loaded(doc))) => Some(doc),
                _ => None,
            },
            _ => None,
        }
    }

    /// The work done on `id`, whatever bytes it was done on (waited for if it is under way).
    pub fn get(&mut self, id: &DocId) -> Option<&ReceivedWhole> {
        self.collect(id);
        self.done.get(id).map(|(_, worked)| worked)
    }

    pub fn forget(&mut self, id: &DocId) {
        if let Some(running) = self.running.as_mut() {
            running.at.remove(id);
        }
        self.done.remove(id);
    }

    /// Forgets everything, and stops the spare cores' work (each finishes the document it is on).
    pub fn clear(&mut self) {
        if let Some(running) = self.running.take() {
            running.job.stop();
        }
        self.done.clear();
    }
}

impl Drop for WorkedAhead {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_docs::{DocKind, Record};

    /// A school record, made as a device makes one.
    fn school_doc(n: u128) -> (DocId, Vec<u8>) {
        let school =
            homevisit_model::School { id: homevisit_model::SchoolId(uuid::Uuid::from_u128(n)), name: "A".into() };
        let mut doc = homevisit_docs::create_record(&school, &automerge::ActorId::random()).expect("a school document");
        (school.doc_id(), doc.save())
    }

    #[test]
    fn a_new_document_is_checked_ahead_and_taken_only_for_the_same_bytes() {
        let (id, bytes) = school_doc(7);
        let mut ahead = WorkedAhead::default();
        ahead.work_on(&[(id, &bytes, true)]);
        assert!(ahead.take_loaded(&id, &bytes).is_none(), "a new document's work is its check");
        let mut other = bytes.clone();
        other.push(0);
        assert!(ahead.take_new(&id, &other).is_none(), "other bytes: worked on again by the write");
        match ahead.take_new(&id, &bytes) {
            Some(ReceivedWhole::New { upgraded: false, content: Content::School(s), .. }) => assert_eq!(s.doc_id(), id),
            _ => panic!("the school, checked"),
        }
        assert!(ahead.take_new(&id, &bytes).is_none(), "taken once");
    }

    #[test]
    fn a_stored_document_is_only_loaded_and_failures_are_not_kept() {
        let (id, bytes) = school_doc(7);
        let mut ahead = WorkedAhead::default();
        let damaged = &bytes[..bytes.len() - 3];
        let other = DocId::new(DocKind::School, uuid::Uuid::from_u128(9));
        ahead.work_on(&[(id, &bytes, false), (other, damaged, true)]);
        assert!(ahead.take_new(&id, &bytes).is_none());
        assert!(ahead.take_loaded(&id, &bytes).is_some());
        assert!(ahead.get(&other).is_none(), "damaged bytes are left for their write to refuse");
        // A school under another's id fails its check: nothing kept either.
        ahead.work_on(&[(other, &bytes, true)]);
        assert!(ahead.get(&other).is_none());
    }

    fn schools(n: u128) -> Vec<(DocId, Vec<u8>)> {
        (1..=n).map(school_doc).collect()
    }

    /// Documents worked on or being worked on (not taken, not waiting) in the running job.
    fn held(ahead: &WorkedAhead) -> usize {
        let job = &ahead.running.as_ref().expect("a job").job;
        job.state().slots.iter().filter(|s| matches!(s, Slot::Working | Slot::Done(_))).count()
    }

    #[test]
    fn every_document_is_worked_on_once_whoever_reaches_it_first() {
        let docs = schools(150);
        let list: Vec<(DocId, &[u8], bool)> = docs.iter().map(|(id, bytes)| (*id, bytes.as_slice(), true)).collect();
        let mut ahead = WorkedAhead::default();
        ahead.work_on(&list);
        for (id, bytes) in &docs {
            match ahead.take_new(id, bytes) {
                Some(ReceivedWhole::New { content: Content::School(s), .. }) => assert_eq!(s.doc_id(), *id),
                _ => panic!("each school checked, in order"),
            }
            assert!(ahead.take_new(id, bytes).is_none(), "taken once");
        }
        // Taken out of order too: the last first, then a middle one.
        ahead.work_on(&list);
        assert!(ahead.take_new(&docs[149].0, &docs[149].1).is_some());
        assert!(ahead.take_new(&docs[70].0, &docs[70].1).is_some());
    }

    #[test]
    fn the_spare_cores_stay_a_bounded_distance_ahead_of_the_writes() {
        if parallel::cores() < 2 {
            return; // nothing runs ahead on one core: the writes do all the work
        }
        let docs = schools(3 * AHEAD as u128);
        let list: Vec<(DocId, &[u8], bool)> = docs.iter().map(|(id, bytes)| (*id, bytes.as_slice(), true)).collect();
        let mut ahead = WorkedAhead::default();
        ahead.work_on(&list);
        // Given time, the spare cores work up to the bound and stop there.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while held(&ahead) < AHEAD && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(held(&ahead), AHEAD, "worked ahead up to the bound, no further");
        // A write taking the tenth document makes room for ten more.
        assert!(ahead.take_new(&docs[9].0, &docs[9].1).is_some());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while held(&ahead) < AHEAD + 9 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(held(&ahead), AHEAD + 9, "nine left before the taken one, and the bound past it");
        // Replaced: the old job's work is gone, and it stops.
        ahead.work_on(&[]);
        assert!(ahead.take_new(&docs[20].0, &docs[20].1).is_none());
    }
}
