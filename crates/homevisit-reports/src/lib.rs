//! What coordinators read, computed from a selection of the district's records and visit logs
//! ([`ReportData`]): reach, staff participation, visits per educator and per family, fidelity to
//! the five core practices, safety (visits past their expected end with no outcome), stipends,
//! the visit log, and an anonymised evaluation export. No I/O: the relay's dashboard and `export`
//! command, and a coordinator's phone (through the FFI), gather the data their own way and all
//! call these functions, so every screen and file agrees.
//!
//! Never reads notes text: the only fact taken from a visit's notes is that its pair marked the
//! debrief done ([`ReportData::debriefed`]).

pub mod csv;
pub mod data;
pub mod evaluation;
pub mod fidelity;
pub mod participation;
pub mod reach;
pub mod safety;
mod select;
pub mod stipend;
pub mod summary;
pub mod visit_log;

#[cfg(test)]
mod test_support;

pub use data::{Period, Ratio, ReportData};
