//! Shared pieces of the fuzz targets (see README.md): valid checksums for mutated Automerge
//! chunks, the raw (uncontained) Automerge pipelines, deterministic demo documents, the session
//! target's input format, the panic hook of the contained targets, and the seed corpora.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::sync::Once;

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, LoadOptions, ObjType, ROOT, ReadDoc, Value};
use homevisit_docs::{DocId, DocKind, ENCODING, Record, current_version};
use homevisit_model::{NoteField, VisitNotes};
use sha2::{Digest, Sha256};

pub mod session;

/// The first bytes of every Automerge chunk.
pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Chunk types (the byte after the checksum).
pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;
pub const COMPRESSED: u8 = 2;
pub const BUNDLE: u8 = 3;

/// Largest decompressed size the checksum fixer inflates a compressed chunk to.
const MAX_INFLATE: u64 = 4 << 20;

// ---------------------------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------------------------

/// A chunk's checksum, as `automerge-0.12.0/src/storage/chunk.rs` (`fn hash`) computes it: the first
/// 4 bytes of SHA-256 over the chunk type byte, the uLEB128 of the contents' length, and the
/// contents. (For a compressed chunk: over type 1 and the *decompressed* contents.)
pub fn checksum(chunk_type: u8, contents: &[u8]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update([chunk_type]);
    hasher.update(uleb(contents.len() as u64));
    hasher.update(contents);
    let hash = hasher.finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

pub fn uleb(mut n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a uLEB128 as Automerge's parser does (at most 10 bytes, no overflow): (value, bytes used).
fn read_uleb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().take(10).enumerate() {
        let part = u64::from(b & 0x7f);
        if i == 9 && part > 1 {
            return None;
        }
        value |= part << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A whole chunk: header (magic, checksum, type, length) and contents.
pub fn chunk(chunk_type: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(checksum(chunk_type, contents));
    out.push(chunk_type);
    out.extend(uleb(contents.len() as u64));
    out.extend(contents);
    out
}

fn inflate(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::bufread::DeflateDecoder::new(bytes).take(MAX_INFLATE).read_to_end(&mut out).ok()?;
    Some(out)
}

/// Rewrites, in place, the checksum of every chunk header found in `bytes` (wherever the magic
/// bytes start a header whose length fits) so that it is valid. Mutated chunks then get past
/// Automerge's checksum test and reach the parsers behind it. Sizes never change, so chunks inside
/// a length-prefixed container (a sync message's `changes`, a `DocMessage`) stay consistent.
pub fn fix_checksums(bytes: &mut [u8]) {
    let mut i = 0;
    while i + 10 <= bytes.len() {
        if bytes[i..i + 4] != MAGIC {
            i += 1;
            continue;
        }
        let chunk_type = bytes[i + 8];
        let header = read_uleb(&bytes[i + 9..]).and_then(|(len, used)| {
            let start = i + 9 + used;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            (end <= bytes.len()).then_some((start, end))
        });
        let Some((start, end)) = header else {
            i += 1;
            continue;
        };
        let sum = match chunk_type {
            DOCUMENT | CHANGE | BUNDLE => Some(checksum(chunk_type, &bytes[start..end])),
            COMPRESSED => inflate(&bytes[start..end]).map(|plain| checksum(CHANGE, &plain)),
            _ => None,
        };
        match sum {
            Some(sum) => {
                bytes[i + 4..i + 8].copy_from_slice(&sum);
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The raw pipelines (automerge_raw) and the regression format
// ---------------------------------------------------------------------------------------------

/// What a raw input (and a regression file) is: its first byte modulo 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The rest is a saved document (a document chunk, maybe followed by change chunks).
    Load,
    /// The rest is one change chunk (or a compressed change chunk), applied to a fresh document.
    Change,
    /// The rest is an encoded `automerge::sync::Message`, received by a fresh document.
    Sync,
}

impl Mode {
    pub fn of(byte: u8) -> Mode {
        match byte % 3 {
            0 => Mode::Load,
            1 => Mode::Change,
            _ => Mode::Sync,
        }
    }

    /// The canonical first byte of a regression file in this mode.
    pub fn byte(self) -> u8 {
        match self {
            Mode::Load => 0,
            Mode::Change => 1,
            Mode::Sync => 2,
        }
    }
}

/// Turns a raw fuzz input into what the API is given: its mode and its bytes with every checksum
/// made valid. A regression file is `[mode byte] ++ bytes` of this (already fixed, so it can be fed
/// to the API as it is).
pub fn prepare(input: &[u8]) -> Option<(Mode, Vec<u8>)> {
    let (&first, rest) = input.split_first()?;
    let mut bytes = rest.to_vec();
    fix_checksums(&mut bytes);
    Some((Mode::of(first), bytes))
}

/// Runs one input through Automerge with no containment: the calls the app makes on untrusted
/// bytes, then what it does with the resulting document (save and reload it, read all of it, make
/// the next sync message). An `Err` is a clean refusal; a panic is a finding. The steps mirror the
/// contained pipeline in `crates/homevisit-docs/tests/hostile_bytes.rs`.
pub fn raw_pipeline(mode: Mode, bytes: &[u8]) -> Result<(), automerge::AutomergeError> {
    let mut doc = match mode {
        Mode::Load => AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(ENCODING))?,
        Mode::Change => {
            let change = Change::try_from(bytes).map_err(|e| automerge::AutomergeError::from(e))?;
            let mut doc = AutoCommit::new_with_encoding(ENCODING);
            doc.apply_changes([change])?;
            doc
        }
        Mode::Sync => {
            let Ok(message) = Message::decode(bytes) else { return Ok(()) };
            let mut doc = AutoCommit::new_with_encoding(ENCODING);
            let mut state = State::new();
            doc.sync().receive_sync_message(&mut state, message)?;
            let _ = doc.sync().generate_sync_message(&mut state);
            doc
        }
    };
    let saved = doc.save();
    AutoCommit::load_with_options(&saved, LoadOptions::new().text_encoding(ENCODING))
        .expect("a document Automerge saved loads again");
    let _ = homevisit_docs::to_json(&doc);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Panics in the contained targets
// ---------------------------------------------------------------------------------------------

thread_local! {
    /// The last panic on this thread: (location, message, backtrace if asked for).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// For the targets that must never crash: replaces libfuzzer-sys's panic hook (which aborts on
/// every panic, even one our code catches) with one that only records the panic. A panic that
/// escapes our containment still aborts: libfuzzer-sys's `catch_unwind` around the target aborts
/// (see [`run_contained`], which first prints the recorded panic). Call it from `init:`.
///
/// With `FUZZ_BACKTRACE=1` every panic's backtrace is recorded (slow; for reproducing one input).
/// With `FUZZ_PANICS=print` every panic is printed, caught or not.
pub fn quiet_caught_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let backtrace = std::env::var_os("FUZZ_BACKTRACE").is_some_and(|v| v == "1");
        let print = std::env::var_os("FUZZ_PANICS").is_some_and(|v| v == "print");
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let mut text = format!("panicked at {location}:\n{message}");
            if backtrace {
                text.push_str(&format!("\n{}", std::backtrace::Backtrace::force_capture()));
            }
            if print {
                eprintln!("[caught or not] {text}");
            }
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
    });
}

/// Runs a contained target's body. A panic that comes out of it escaped our containment: its
/// message and location are printed, then it goes on to libfuzzer-sys, which aborts (a crash).
pub fn run_contained(body: impl FnOnce()) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let last = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
        eprintln!("\n==== a panic ESCAPED homevisit's containment ====\n{last}\n");
        std::panic::resume_unwind(payload);
    }
}

/// The panic sites `FUZZ_KNOWN_PANICS` lists (comma-separated substrings of "file:line", e.g.
/// `hexane-1.0.0-alpha.5/src/raw.rs:622`): for hunting *new* sites with automerge_raw, which then
/// treats a panic at a known site as a refusal and goes on.
fn known_panics() -> &'static [String] {
    static KNOWN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        std::env::var("FUZZ_KNOWN_PANICS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// `FUZZ_ONLY_PANIC=site`: automerge_raw counts only a panic at that site as a crash (to minimize
/// an input without drifting to another site: `-minimize_crash=1`).
fn only_panic() -> Option<&'static str> {
    static ONLY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ONLY.get_or_init(|| std::env::var("FUZZ_ONLY_PANIC").ok().filter(|s| !s.is_empty())).as_deref()
}

/// automerge_raw's `init`: with `FUZZ_KNOWN_PANICS` or `FUZZ_ONLY_PANIC` set, record panics instead
/// of aborting at once (see [`run_raw`]); otherwise keep libfuzzer-sys's hook (every panic is a crash).
pub fn raw_init() {
    if !known_panics().is_empty() || only_panic().is_some() {
        quiet_caught_panics();
    }
}

/// Runs automerge_raw's body. Every panic is a crash, except (with `FUZZ_KNOWN_PANICS`) one at a
/// known site.
pub fn run_raw(body: impl FnOnce()) {
    let known = known_panics();
    let only = only_panic();
    if known.is_empty() && only.is_none() {
        return body();
    }
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let last = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
        let site = last.lines().next().unwrap_or_default();
        if known.iter().any(|k| site.contains(k.as_str())) || only.is_some_and(|o| !site.contains(o)) {
            return;
        }
        eprintln!("\n==== a NEW panic site ====\n{last}\n");
        std::panic::resume_unwind(payload);
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic documents from the demo district
// ---------------------------------------------------------------------------------------------

/// A fixed actor, so the demo documents (and so their change hashes) are the same in every process.
pub fn fixed_actor(n: u8) -> ActorId {
    ActorId::from(vec![0xf0, 0x22, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n])
}

fn time_zero() -> CommitOptions {
    CommitOptions::default().with_time(0)
}

#[derive(autosurgeon::Reconcile)]
struct RecordRoot<'a, T: autosurgeon::Reconcile> {
    schema_version: u64,
    kind: &'static str,
    id: String,
    data: &'a T,
}

/// A record document laid out as `homevisit_docs::create_record` lays it out, but written by a
/// fixed actor at time 0 (so it is byte-for-byte the same in every process).
pub fn record_doc<T: Record>(value: &T) -> AutoCommit {
    let id = value.doc_id();
    let mut doc = AutoCommit::new_with_encoding(ENCODING).with_actor(fixed_actor(1));
    let root = RecordRoot {
        schema_version: current_version(T::KIND),
        kind: T::KIND.as_str(),
        id: id.id.hyphenated().to_string(),
        data: value,
    };
    autosurgeon::reconcile(&mut doc, &root).expect("a demo record reconciles");
    doc.commit_with(time_zero());
    doc
}

/// A notes document: the deterministic skeleton, then the notes' text written by a fixed actor.
pub fn notes_doc(visit: homevisit_model::VisitId, notes: &VisitNotes) -> AutoCommit {
    let mut doc =
        homevisit_docs::new_skeleton(&DocId::new(DocKind::VisitNotes, visit.uuid())).with_actor(fixed_actor(1));
    if *notes != VisitNotes::default() {
        let Ok(Some((Value::Object(ObjType::Map), texts))) = doc.get(ROOT, "text") else { unreachable!() };
        for field in NoteField::ALL {
            let Ok(Some((_, text))) = doc.get(&texts, field.key()) else { unreachable!() };
            doc.splice_text(&text, 0, 0, notes.field(field)).expect("demo notes fit");
        }
        autosurgeon::reconcile_prop(&mut doc, ROOT, "channel", notes.communication_channel).expect("channel");
        autosurgeon::reconcile_prop(&mut doc, ROOT, "debrief_done", &notes.debrief_done).expect("debrief done");
        doc.commit_with(time_zero());
    }
    doc
}

/// The demo district's documents (a few of each kind), built deterministically. Every one passes
/// `homevisit_docs::check` under its id.
pub fn demo_documents() -> Vec<(DocId, AutoCommit)> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let offset = chrono::FixedOffset::west_opt(8 * 3600).expect("offset");
    let data = homevisit_fixtures::demo::data_set(today, offset);
    let mut docs = Vec::new();
    docs.extend(data.schools.iter().map(|s| (s.doc_id(), record_doc(s))));
    docs.extend(data.educators.iter().take(3).map(|e| (e.doc_id(), record_doc(e))));
    docs.extend(data.families.iter().take(2).map(|f| (f.doc_id(), record_doc(f))));
    // "today-1" (no notes yet) and "past-1" (completed, with notes), both of families 0 and 1.
    for (log, notes) in [&data.visits[0], &data.visits[3]] {
        docs.push((log.doc_id(), record_doc(log)));
        docs.push((DocId::new(DocKind::VisitNotes, log.plan.id.uuid()), notes_doc(log.plan.id, notes)));
    }
    for (id, doc) in &docs {
        homevisit_docs::check(id, doc).unwrap_or_else(|e| panic!("demo document {id} fails its check: {e}"));
    }
    docs
}

/// A peer's edit of a demo document (for seeds that carry new changes): one more change by another
/// fixed actor, at time 0.
pub fn edited(id: &DocId, doc: &AutoCommit) -> AutoCommit {
    let mut peer = doc.clone().with_actor(fixed_actor(2));
    if id.kind == DocKind::VisitNotes {
        let Ok(Some((_, texts))) = peer.get(ROOT, "text") else { unreachable!() };
        let Ok(Some((_, learned))) = peer.get(&texts, NoteField::Learned.key()) else { unreachable!() };
        peer.splice_text(&learned, 0, 0, "She asked about the library card. ").expect("splice");
    } else {
        let Ok(Some((_, data))) = peer.get(ROOT, "data") else { unreachable!() };
        peer.put(&data, "fuzz_extra", "added by a peer").expect("put");
    }
    peer.commit_with(time_zero());
    peer
}

/// The sync messages `from` sends to a peer that starts with `to`, until they agree (at most 8
/// rounds each way), each encoded.
pub fn sync_messages(from: &AutoCommit, to: &AutoCommit) -> Vec<Vec<u8>> {
    let (mut a, mut b) = (from.clone(), to.clone());
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut sent = Vec::new();
    for _ in 0..8 {
        let mut quiet = true;
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            quiet = false;
            let bytes = m.encode();
            sent.push(bytes.clone());
            b.sync().receive_sync_message(&mut sb, Message::decode(&bytes).expect("own message")).expect("receive");
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            quiet = false;
            a.sync().receive_sync_message(&mut sa, m).expect("receive");
        }
        if quiet {
            break;
        }
    }
    sent
}

// ---------------------------------------------------------------------------------------------
// Seed corpora
// ---------------------------------------------------------------------------------------------

/// Real inputs for `target`, from the demo documents: saved documents (whole, and followed by a
/// change chunk), change chunks (plain and compressed), sync messages (V1 and V2), and sync
/// batches. Each as the target's input format.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let docs = demo_documents();
    let mut saved = Vec::new(); // whole documents, as stored
    let mut changes = Vec::new(); // change chunks
    let mut messages = Vec::new(); // sync messages
    for (id, doc) in &docs {
        let mut doc = doc.clone();
        let base = doc.save();
        let mut peer = edited(id, &doc);
        let mut with_change = base.clone();
        with_change.extend(peer.save_after(&doc.get_heads()));
        saved.push(base);
        saved.push(with_change);
        saved.push(peer.save_nocompress());
        for c in doc.get_changes(&[]) {
            changes.push(c.raw_bytes().to_vec());
            let mut c = c.clone();
            changes.push(c.bytes().to_vec()); // compressed, where that makes it smaller
        }
        // To a peer that has nothing (the whole document), and to one that has the base (the edit).
        messages.extend(sync_messages(&peer, &AutoCommit::new_with_encoding(ENCODING)));
        messages.extend(sync_messages(&peer, &doc));
    }
    // Change chunks that depend on nothing apply to a fresh document; only those are useful alone.
    changes.retain(|c| Change::try_from(c.as_slice()).is_ok_and(|c| c.deps().is_empty()));
    let tag = |mode: Mode, bytes: &Vec<u8>| [&[mode.byte()][..], bytes].concat();
    match target {
        "automerge_raw" => saved
            .iter()
            .map(|b| tag(Mode::Load, b))
            .chain(changes.iter().map(|b| tag(Mode::Change, b)))
            .chain(messages.iter().map(|b| tag(Mode::Sync, b)))
            .collect(),
        "document_load" => saved,
        "protocol_decode" => session::seed_batches(&docs).into_iter().map(|b| b.encode()).collect(),
        "session_receive" => session::seed_inputs(&docs),
        other => panic!("no seeds for target {other}"),
    }
}

/// Writes [`seeds`] for `target` into `dir` (one file per seed, named by content). Called by a
/// target's `init` when `HOMEVISIT_FUZZ_SEEDS=<dir>` is set (scripts/fuzz does it once per target).
pub fn write_seeds_if_asked(target: &str) {
    let Some(dir) = std::env::var_os("HOMEVISIT_FUZZ_SEEDS") else { return };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("create the corpus directory");
    let seeds = seeds(target);
    for seed in &seeds {
        let name: String = Sha256::digest(seed)[..10].iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(dir.join(format!("seed-{name}")), seed).expect("write a seed");
    }
    eprintln!("wrote {} seeds for {target} to {}", seeds.len(), dir.display());
    std::process::exit(0);
}

/// Called by automerge_raw for each input when `HOMEVISIT_FUZZ_EXPORT=<file>` is set: writes the
/// input in the regression format (mode byte, then the bytes with valid checksums) and exits.
/// `HOMEVISIT_FUZZ_EXPORT=regressions/x.bin automerge_raw crash-...` turns a crash into a regression.
pub fn export_if_asked(input: &[u8]) {
    let Some(out) = std::env::var_os("HOMEVISIT_FUZZ_EXPORT") else { return };
    if let Some((mode, bytes)) = prepare(input) {
        std::fs::write(&out, [&[mode.byte()][..], &bytes].concat()).expect("write the regression file");
        eprintln!("wrote {} ({:?}, {} bytes)", Path::new(&out).display(), mode, bytes.len() + 1);
    }
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_automerges() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", "v").unwrap();
        let saved = doc.save_nocompress();
        let mut broken = saved.clone();
        broken[4..8].copy_from_slice(&[0; 4]);
        assert!(AutoCommit::load(&broken).is_err());
        fix_checksums(&mut broken);
        assert_eq!(broken, saved);
        let change = doc.get_changes(&[])[0].raw_bytes().to_vec();
        let (len, used) = read_uleb(&change[9..]).unwrap();
        assert_eq!(chunk(CHANGE, &change[9 + used..]), change);
        assert_eq!(len as usize, change.len() - 9 - used);
    }

    #[test]
    fn demo_documents_are_deterministic_and_seeds_load() {
        let a: Vec<_> = demo_documents().into_iter().map(|(_, mut d)| d.save()).collect();
        let b: Vec<_> = demo_documents().into_iter().map(|(_, mut d)| d.save()).collect();
        assert_eq!(a, b);
        for seed in seeds("automerge_raw") {
            let (mode, bytes) = prepare(&seed).unwrap();
            raw_pipeline(mode, &bytes).unwrap_or_else(|e| panic!("{mode:?} seed fails: {e}"));
        }
    }
}
