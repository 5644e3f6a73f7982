//! How a document kind grows new fields: one *step change* per schema version, identical on every
//! device.
//!
//! A field added in version N must be created once, not once per device: two phones that each
//! create a `debrief_done` key (or, worse, a new text object) on their own write rival values, and
//! Automerge keeps only one of them, hiding whatever a partner wrote into the other. So the fields
//! a version adds are written by a change that every device computes byte for byte alike:
//!
//! - it is built on the document's *creation change* alone (the frozen skeleton, or for notes
//!   imported before steps existed, their import change), never on the edits made since, which
//!   differ between devices;
//! - its actor is derived from the document id and the version ([`step_actor`]), its time is zero,
//!   and it holds only the new fields' initial values and the new `schema_version`;
//! - steps chain: step N+1 is built on top of step N, so each one's `schema_version` supersedes
//!   the last instead of conflicting with it.
//!
//! Every device, old or new, that upgrades the document therefore adds the *same* change; Automerge
//! stores it once, and every later edit (a partner marking the debrief done) is causally after it.
//! A document created by a new app is the frozen skeleton plus the same steps, so it is identical
//! to an old document upgraded.
//!
//! To add a field to a kind: add a [`Step`] to [`STEPS`] (its `add` writes only initial values
//! derived from nothing but the version), bump [`crate::current_version`], and teach `check` and the
//! readers the field. Never edit a step or the v1 skeleton once shipped: their bytes are part of
//! every document's history (`tests/schema_growth.rs` pins them).
//!
//! Record kinds (visit logs...) do not use steps: their one upgrade so far (visit-log v2) rewrites
//! a value derived from the content, which devices write equally (`schema.rs`).

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ROOT, ScalarValue};

use crate::root::{ENCODING, SCHEMA_KEY, read_u64};
use crate::{DocError, DocId, DocKind};

/// One schema version's additions to a kind.
struct Step {
    kind: DocKind,
    /// The version this step brings a document to.
    to: u64,
    /// Writes the new fields' initial values (never anything read from the document).
    add: fn(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
}

/// Every step ever shipped, oldest first. Append only.
const STEPS: &[Step] = &[Step { kind: DocKind::VisitNotes, to: 2, add: notes_v2 }];

/// notes v2: the pair's "debrief done" mark (who and when), unset.
fn notes_v2(doc: &mut AutoCommit) -> Result<(), automerge::AutomergeError> {
    doc.put(ROOT, "debrief_done", ScalarValue::Null)
}

/// The actor of `id`'s step to `version`: distinct from the skeleton's actor and from every other
/// step's, the same on every device.
fn step_actor(id: &DocId, version: u64) -> ActorId {
    let mut bytes = Vec::with_capacity(25);
    bytes.push(id.kind.code());
    bytes.extend_from_slice(id.id.as_bytes());
    bytes.extend_from_slice(&version.to_be_bytes());
    ActorId::from(bytes)
}

/// Writes onto `base` (a document holding `id`'s creation change and the steps before `from + 1`)
/// the steps of `id`'s kind after version `from`, each as its own deterministic change; `base`'s
/// actor is left as a step actor, so the caller sets its own afterwards.
pub(crate) fn write_steps(base: &mut AutoCommit, id: &DocId, from: u64) {
    for step in STEPS.iter().filter(|s| s.kind == id.kind && s.to > from) {
        base.set_actor(step_actor(id, step.to));
        let write = |doc: &mut AutoCommit| -> Result<(), automerge::AutomergeError> {
            (step.add)(doc)?;
            doc.put(ROOT, SCHEMA_KEY, step.to)
        };
        write(base).expect("writing fresh keys at the root cannot fail");
        base.commit_with(CommitOptions::default().with_time(0));
    }
}

/// Whether `kind` grows through steps (its upgrades go through [`apply_steps`]).
pub(crate) fn has_steps(kind: DocKind) -> bool {
    STEPS.iter().any(|s| s.kind == kind)
}

/// Brings `doc` (document `id`) to the current version by adding the step changes every device
/// adds. Fails with `Shape` if the document has no single creation change to build them on.
pub(crate) fn apply_steps(doc: &mut AutoCommit, id: &DocId) -> Result<(), DocError> {
    let creation = creation_change(doc)?;
    let mut base = AutoCommit::new_with_encoding(ENCODING);
    base.apply_changes([creation])?;
    let from = read_u64(&base, SCHEMA_KEY).ok_or(DocError::MissingSchema)?;
    let before = base.get_heads();
    write_steps(&mut base, id, from);
    let steps: Vec<Change> = base.get_changes(&before);
    doc.apply_changes(steps)?;
    Ok(())
}

/// The change that created the document: its one change without dependencies. Every honest copy
/// holds exactly one (every later change depends on it); a document with none or several was not
/// made by this app.
fn creation_change(doc: &mut AutoCommit) -> Result<Change, DocError> {
    let roots: Vec<ChangeHash> =
        doc.get_changes_meta(&[]).into_iter().filter(|c| c.deps.is_empty()).map(|c| c.hash).collect();
    match roots.as_slice() {
        [root] => doc.get_change_by_hash(root).ok_or(DocError::Shape("the creation change is missing".into())),
        _ => Err(DocError::Shape("a document with no single creation change cannot be upgraded".into())),
    }
}
