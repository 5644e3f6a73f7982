//! `homevisit-ffi`: the one library the Android and iOS shells load, declared with UniFFI
//! proc-macros. A thin layer: it owns the app-facing API (`HomevisitApp`, its records, listeners
//! and public errors) and converts types; every piece of session logic (enrollment, the store
//! lock, background sync, the wipe) is `homevisit_sync::device_session`'s. The rules live in
//! `homevisit-model`, storage in `homevisit-store`. No panic crosses the boundary: every failure
//! is a `HomevisitError` (`boundary.rs`).

mod app;
mod boundary;
mod error;
mod listeners;
mod peer;
mod report;
mod types;

pub use app::{HomevisitApp, generate_database_key, open_app, parse_enroll_link};
pub use error::HomevisitError;
pub use listeners::{DocumentChangeListener, ListenerError, Subscription, SyncProgressListener};
pub use peer::{PeerExchange, PeerSummary};
pub use report::{CoordinatorReport, EducatorReport, SchoolReport};
pub use types::*;

uniffi::setup_scaffolding!("homevisit");
