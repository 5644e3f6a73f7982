//! `homevisit-ffi`: the one library the Android and iOS shells load, declared with UniFFI
//! proc-macros. It owns the app-facing API (`HomevisitApp`, its records, listeners and errors)
//! and nothing else: the rules live in `homevisit-model`, storage in `homevisit-store`, sync in
//! `homevisit-sync`. No panic crosses the boundary: every failure is a `HomevisitError`.

mod app;
mod error;
mod exit;
mod listeners;
mod types;

pub use app::{HomevisitApp, generate_database_key, open_app};
pub use error::HomevisitError;
pub use listeners::{DocumentChangeListener, ListenerError, Subscription, SyncProgressListener};
pub use types::*;

uniffi::setup_scaffolding!("homevisit");
