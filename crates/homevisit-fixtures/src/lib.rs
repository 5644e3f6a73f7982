//! Deterministic data for tests, benchmarks and demos. Pure functions, no I/O.
//!
//! - [`forms`]: a faithful port of the peer benchmark's form generator
//!   (`shared/peers/automerge-repo/lib/form.mjs`), so homevisit and the peer are measured on the
//!   same content; and its mapping onto homevisit's model (family, plan, notes, debrief).
//! - [`demo`]: a small, readable district for the README's first command and for manual testing:
//!   its roster is the OneRoster export in `demo-district/`, its visits are placed around today.

pub mod demo;
pub mod forms;

/// Everything needed to fill a store: the roster first, then the visits.
#[derive(Clone, Debug)]
pub struct DataSet {
    pub schools: Vec<homevisit_model::School>,
    pub educators: Vec<homevisit_model::Educator>,
    pub families: Vec<homevisit_model::Family>,
    pub visits: Vec<(homevisit_model::VisitLog, homevisit_model::VisitNotes)>,
}

/// A UUID derived from a label, so generated data sets are identical run to run.
pub(crate) fn stable_uuid(label: &str) -> uuid::Uuid {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x9d4c_2e7a_51b3_4f08_8c16_3a5e_0b7d_c2f1);
    uuid::Uuid::new_v5(&NS, label.as_bytes())
}
