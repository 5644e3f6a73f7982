//! Schema versions inside each document, and the upgrade path between them.
//!
//! History:
//! - visit-log v1 (the prototype format) stored the place as one string: `home`, `virtual`, or
//!   `neutral:<description>`. v2 stores a structured [`Place`]. Upgrading writes only values derived
//!   from the old document, so two devices that upgrade the same document concurrently write equal
//!   values and the conflict resolves to the same content either way.
//! - visit-notes v2 adds the pair's "debrief done" mark (`debrief_done`: who and when, null until
//!   set), through a step change identical on every device (`steps.rs`).
//! - every other kind is at v1.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use homevisit_model::Place;

use crate::map_reads::MapReads;
pub use crate::root::SCHEMA_KEY;
use crate::root::{read_str, read_u64};
use crate::{DocError, DocId, DocKind};

/// The schema version this build writes for a kind.
pub fn current_version(kind: DocKind) -> u64 {
    match kind {
        DocKind::VisitLog => 2,
        DocKind::VisitNotes => 2,
        _ => 1,
    }
}

/// Checks that `doc` is a document of `kind` and brings it to the current schema version.
/// Returns whether it changed (the caller then persists the upgrade change). Contained
/// ([`crate::untrusted`]): on an error, drop `doc`.
pub fn upgrade(doc: &mut AutoCommit, kind: DocKind) -> Result<bool, DocError> {
    crate::untrusted::contained("upgrade a document", || upgrade_in_place(doc, kind))
}

fn upgrade_in_place(doc: &mut AutoCommit, kind: DocKind) -> Result<bool, DocError> {
    let (found, version) = {
        // Both from one read of the root.
        let root = MapReads::new(doc);
        (read_str(&root, &ROOT, "kind").unwrap_or_default(), read_u64(&root, SCHEMA_KEY))
    };
    if found != kind.as_str() {
        return Err(DocError::WrongKind { expected: kind.as_str(), found });
    }
    let version = version.ok_or(DocError::MissingSchema)?;
    let supported = current_version(kind);
    if version > supported {
        return Err(DocError::NewerSchema { found: version, supported });
    }
    if version == supported {
        return Ok(false);
    }
    if crate::steps::has_steps(kind) {
        crate::steps::apply_steps(doc, &doc_id_of(doc, kind)?)?;
        // Honest documents are now at the current version; anything else was not made by this app.
        return match read_u64(doc, SCHEMA_KEY) {
            Some(v) if v == supported => Ok(true),
            _ => Err(DocError::Shape("the schema steps did not bring the document to the current version".into())),
        };
    }
    if kind == DocKind::VisitLog && version < 2 {
        visit_log_v1_to_v2(doc)?;
    }
    doc.put(ROOT, SCHEMA_KEY, supported)?;
    doc.commit();
    Ok(true)
}

/// The document's id from its own root (its kind already checked): the steps are derived from it.
/// A wrong id is refused later by `check`, which compares it with the id the document is stored
/// under; here it only has to be a uuid.
fn doc_id_of(doc: &AutoCommit, kind: DocKind) -> Result<DocId, DocError> {
    let id = read_str(doc, &ROOT, "id").and_then(|s| uuid::Uuid::parse_str(&s).ok());
    id.map(|id| DocId::new(kind, id)).ok_or(DocError::IdMismatch { what: "document" })
}

fn visit_log_v1_to_v2(doc: &mut AutoCommit) -> Result<(), DocError> {
    let shape = |what: &str| DocError::Shape(format!("visit-log v1 without {what}"));
    let data = match doc.get(ROOT, "data")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => return Err(shape("data")),
    };
    let plan = match doc.get(&data, "plan")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => return Err(shape("a plan")),
    };
    let Some(old) = read_str(doc, &plan, "place") else {
        // Already structured (a partner upgraded first and we merged): nothing to do.
        return Ok(());
    };
    let place = match old.split_once(':') {
        _ if old == "home" => Place::Home,
        _ if old == "virtual" => Place::Virtual,
        Some(("neutral", description)) => Place::Neutral { description: description.trim().to_string() },
        _ => return Err(DocError::Shape("visit-log v1 place is not home, virtual or neutral:<description>".into())),
    };
    autosurgeon::reconcile_prop(doc, &plan, "place", &place)?;
    Ok(())
}
