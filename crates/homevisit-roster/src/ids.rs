//! Stable ids: a record's id is a UUID v5 of [`NAMESPACE`] and where it came from, so importing the
//! same roster again (or a changed one) addresses the same documents and never makes a second.

use homevisit_model::{EducatorId, FamilyId, SchoolId};
use uuid::Uuid;

use crate::Format;

/// The namespace of every roster id. Never change it: every district's documents are named by it.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x8d3a_61f2_7c4e_4b9a_a1d5_3e6f_0b2c_9417);

/// The v5 name: the format, the kind and each part, length-prefixed so no source id can be read
/// as two (`a/b` + `c` and `a` + `b/c` differ).
fn stable(format: Format, kind: &str, parts: &[&str]) -> Uuid {
    let mut name = format!("{}:{kind}", format.as_str());
    for p in parts {
        name.push_str(&format!(":{}:{p}", p.len()));
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// A school, by its source id (OneRoster org `sourcedId`, template `school_id`).
pub fn school_id(format: Format, school: &str) -> SchoolId {
    SchoolId(stable(format, "school", &[school]))
}

/// A staff member at one school: one educator record per school they work at.
pub fn educator_id(format: Format, staff: &str, school: &str) -> EducatorId {
    EducatorId(stable(format, "educator", &[staff, school]))
}

/// A family at one school, by its key (OneRoster: its first guardian's `sourcedId`, or its only
/// student's; template: `family_id`).
pub fn family_id(format: Format, key: &str, school: &str) -> FamilyId {
    FamilyId(stable(format, "family", &[key, school]))
}
