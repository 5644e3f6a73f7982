//! The one error type the shells see: small and typed, converted at the boundary from the device
//! session's rich internal error (`SessionError`), as application-services' `support/error` splits
//! them. No message names a family, a note or a family's id: a missing or damaged document is
//! named by its kind only. An unexpected failure (anything that becomes `Internal` or `Corrupt`)
//! is logged with `tracing` as it is converted: its kind and stable code, never its text.

use homevisit_docs::{DocError, DocId};
use homevisit_store::StoreError;
use homevisit_sync::client::ClientError;
use homevisit_sync::device_session::{SessionError, SyncFailure};

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HomevisitError {
    /// The database key does not open this store (or the file is not a homevisit store).
    #[error("the key does not open this store")]
    WrongKey,
    /// The store, or a document in it, is damaged (`reason` names the kind of damage, no content).
    #[error("the store is damaged: {reason}")]
    Corrupt { reason: String },
    /// The store was written by a newer version of the app.
    #[error("the store was written by a newer app version")]
    NewerVersion,
    /// Input the rules refuse (a visit with one adult, a bad id, a position inside an emoji...).
    #[error("invalid: {reason}")]
    Invalid { reason: String },
    /// No such visit, family, educator or document on this phone (`what`: the kind, never an id).
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The phone is not enrolled with a relay yet.
    #[error("this phone is not enrolled with a relay")]
    NotEnrolled,
    /// The relay does not know this phone, or the invite code was unknown, used or expired.
    #[error("the relay refused this phone (unknown device or invite code)")]
    Unauthorized,
    /// The relay revoked this phone (a lost phone, remote wipe): its store was wiped and syncing
    /// stopped. Every call returns this from then on; enrolling again needs a new app and invite.
    #[error("this phone was revoked; its data was wiped")]
    Revoked,
    /// The relay could not be reached (no signal): the next sync retries.
    #[error("the relay could not be reached")]
    Offline,
    /// The relay asks the phone to slow down.
    #[error("the relay asks to retry shortly")]
    RateLimited,
    /// The relay address must be https (plain http only to this machine).
    #[error("the relay address must be https://")]
    InsecureUrl,
    /// The relay answered with an error.
    #[error("the relay refused the request (HTTP {status})")]
    Relay { status: u16 },
    /// The app object was closed (signed out): open it again.
    #[error("the app was signed out; open it again")]
    Closed,
    /// Anything else (a disk error, a bug, a contained panic): `code` is stable, for a bug report;
    /// the details went to the log.
    #[error("internal error ({code})")]
    Internal { code: String },
}

impl HomevisitError {
    /// An unexpected failure, logged here (kind and code only) as it becomes `Internal`.
    pub(crate) fn internal(kind: &'static str, code: &'static str) -> Self {
        tracing::error!(target: "homevisit_ffi", kind, code, "unexpected error at the FFI boundary");
        HomevisitError::Internal { code: code.to_string() }
    }

    fn corrupt(kind: &'static str, code: &'static str, reason: String) -> Self {
        tracing::error!(target: "homevisit_ffi", kind, code, "damaged data at the FFI boundary");
        HomevisitError::Corrupt { reason }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        HomevisitError::Invalid { reason: reason.into() }
    }

    /// A sync's failure as the status line and the listeners show it (not logged: `from_client`
    /// logs it once, when the sync reports it).
    pub(crate) fn of_failure(f: SyncFailure) -> Self {
        match f {
            SyncFailure::InsecureUrl => HomevisitError::InsecureUrl,
            SyncFailure::Offline => HomevisitError::Offline,
            SyncFailure::Unauthorized => HomevisitError::Unauthorized,
            SyncFailure::Revoked => HomevisitError::Revoked,
            SyncFailure::RateLimited => HomevisitError::RateLimited,
            SyncFailure::Refused(status) => HomevisitError::Relay { status },
            SyncFailure::Unexpected { code } => HomevisitError::Internal { code: code.to_string() },
        }
    }

    /// A client error, converted (and logged if unexpected).
    pub(crate) fn from_client(e: &ClientError) -> Self {
        match SyncFailure::of(e) {
            SyncFailure::Unexpected { code } => HomevisitError::internal("client", code),
            expected => HomevisitError::of_failure(expected),
        }
    }
}

impl HomevisitError {
    /// A `sync_now` failure: the sync already reported it to the listeners, which logged it if it
    /// was unexpected ([`HomevisitError::from_client`]), so it is converted here without logging
    /// it a second time. Any other session error converts as usual.
    pub(crate) fn of_reported_sync(e: SessionError) -> Self {
        match e {
            SessionError::Client(e) => HomevisitError::of_failure(SyncFailure::of(&e)),
            other => other.into(),
        }
    }
}

/// "a visit-notes document": what a message may say about a document (its id may be a family's).
fn kind_of(doc: &DocId) -> String {
    format!("a {} document", doc.kind.as_str())
}

impl From<StoreError> for HomevisitError {
    fn from(e: StoreError) -> Self {
        let code = homevisit_sync::device_session::store_code(&e);
        match e {
            StoreError::WrongKey | StoreError::Unencrypted => HomevisitError::WrongKey,
            StoreError::Corrupt(_) => HomevisitError::corrupt("store", code, "the store file".into()),
            StoreError::NewerStoreSchema { .. } => HomevisitError::NewerVersion,
            StoreError::NotFound(doc) => HomevisitError::NotFound { what: kind_of(&doc) },
            // Validation messages name rules and educator ids, never a family or a note.
            StoreError::Invalid(v) => HomevisitError::invalid(v.to_string()),
            StoreError::Document { doc, source } => match *source {
                // Positions, lengths and field names: what the shell got wrong, no content.
                e @ (DocError::OutOfRange { .. } | DocError::SplitsCharacter { .. } | DocError::TooLong { .. }) => {
                    HomevisitError::invalid(e.to_string())
                }
                DocError::Invalid(v) => HomevisitError::invalid(v.to_string()),
                DocError::NewerSchema { .. } => HomevisitError::NewerVersion,
                _ => HomevisitError::corrupt("document", code, kind_of(&doc)),
            },
            StoreError::Forbidden(doc) => HomevisitError::invalid(format!("not allowed to write {}", kind_of(&doc))),
            _ => HomevisitError::internal("store", code),
        }
    }
}

impl From<SessionError> for HomevisitError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Store(e) => e.into(),
            SessionError::Client(e) => HomevisitError::from_client(&e),
            SessionError::NotEnrolled => HomevisitError::NotEnrolled,
            SessionError::Closed => HomevisitError::Closed,
            SessionError::Revoked => HomevisitError::Revoked,
            SessionError::PeerMessage { .. } => HomevisitError::invalid("the other phone's message cannot be read"),
            SessionError::ExchangeFinished => HomevisitError::invalid("the phone-to-phone exchange is finished"),
            // I/O in the data directory, a panicked or cancelled store call, no runtime.
            other => HomevisitError::internal(other.kind(), other.code()),
        }
    }
}

/// An id from the shell that is not a UUID.
pub(crate) fn bad_id(what: &str) -> HomevisitError {
    HomevisitError::invalid(format!("{what} is not a valid id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// How many lines were logged while `f` ran.
    fn lines_logged<T>(f: impl FnOnce() -> T) -> (T, usize) {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let result = tracing::subscriber::with_default(subscriber, f);
        let lines = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap().lines().count();
        (result, lines)
    }

    #[test]
    fn an_unexpected_sync_failure_is_logged_once_not_again_when_sync_now_returns_it() {
        // The sync tells the listeners (which convert it, logging it)...
        let (told, logged) = lines_logged(|| HomevisitError::from_client(&ClientError::TooManyRounds(64)));
        assert_eq!(logged, 1);
        // ...then sync_now returns the same failure: the same public error, not logged again.
        let (returned, again) =
            lines_logged(|| HomevisitError::of_reported_sync(SessionError::Client(ClientError::TooManyRounds(64))));
        assert_eq!(again, 0);
        assert_eq!(told.to_string(), returned.to_string());
        assert!(matches!(returned, HomevisitError::Internal { .. }));
        // Other session errors from sync_now convert (and log) as usual.
        let (_, logged) = lines_logged(|| HomevisitError::of_reported_sync(SessionError::Panicked));
        assert_eq!(logged, 1);
    }
}
