//! A document's root fields as every module reads them: the schema version's key, typed reads of
//! root scalars, and the text encoding every document uses. Kept apart so the schema, the skeleton
//! and the schema steps share them without depending on each other.

use automerge::{ROOT, ScalarValue, TextEncoding, Value};
use autosurgeon::ReadDoc;

/// The root key holding a document's schema version.
pub const SCHEMA_KEY: &str = "schema_version";

/// Every document uses UTF-16 code units for text positions.
pub const ENCODING: TextEncoding = TextEncoding::Utf16CodeUnit;

/// Reads through autosurgeon's `ReadDoc`: a document, or [`crate::MapReads`] over one when the
/// caller reads more of it.
pub(crate) fn read_u64(doc: &impl ReadDoc, key: &str) -> Option<u64> {
    match doc.get(&ROOT, key).ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Uint(n) => Some(*n),
            ScalarValue::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn read_str(doc: &impl ReadDoc, obj: &automerge::ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}
