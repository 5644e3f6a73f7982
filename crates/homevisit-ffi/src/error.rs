//! The one error type the shells see. Every failure inside is mapped to one of these; messages
//! name ids and reasons, never a family's name or words.

use homevisit_store::StoreError;
use homevisit_sync::client::ClientError;
use homevisit_sync::device_session::SessionError;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HomevisitError {
    /// The database key does not open this store (or the file is not a homevisit store).
    #[error("the key does not open this store")]
    WrongKey,
    /// The store file is damaged.
    #[error("the store is damaged: {reason}")]
    Corrupt { reason: String },
    /// The store was written by a newer version of the app.
    #[error("the store was written by a newer app version")]
    NewerVersion,
    /// Input the rules refuse (a visit with one adult, a bad id, a position inside an emoji...).
    #[error("invalid: {reason}")]
    Invalid { reason: String },
    /// No such visit, family, educator or document on this phone.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The phone is not enrolled with a relay yet.
    #[error("this phone is not enrolled with a relay")]
    NotEnrolled,
    /// The relay does not know this phone, or it was revoked, or the invite code was unknown/used.
    #[error("the relay refused this phone (unknown invite, or the device was revoked)")]
    Unauthorized,
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
    /// Anything else (a disk error, a bug); the reason is for logs and contains no content.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<StoreError> for HomevisitError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongKey | StoreError::Unencrypted => HomevisitError::WrongKey,
            StoreError::Corrupt(reason) => HomevisitError::Corrupt { reason },
            StoreError::NewerStoreSchema { .. } => HomevisitError::NewerVersion,
            StoreError::NotFound(doc) => HomevisitError::NotFound { what: doc.to_string() },
            StoreError::Invalid(v) => HomevisitError::Invalid { reason: v.to_string() },
            StoreError::Document { doc, source } => match *source {
                homevisit_docs::DocError::OutOfRange { .. }
                | homevisit_docs::DocError::SplitsCharacter { .. }
                | homevisit_docs::DocError::TooLong { .. }
                | homevisit_docs::DocError::Invalid(_) => {
                    HomevisitError::Invalid { reason: format!("{doc}: {source}") }
                }
                homevisit_docs::DocError::NewerSchema { .. } => HomevisitError::NewerVersion,
                _ => HomevisitError::Corrupt { reason: format!("{doc}: {source}") },
            },
            StoreError::Forbidden(doc) => HomevisitError::Invalid { reason: format!("not allowed to write {doc}") },
            other => HomevisitError::Internal { reason: other.to_string() },
        }
    }
}

impl From<&ClientError> for HomevisitError {
    fn from(e: &ClientError) -> Self {
        match e {
            ClientError::InsecureUrl => HomevisitError::InsecureUrl,
            ClientError::Unreachable(_) => HomevisitError::Offline,
            ClientError::Unauthorized => HomevisitError::Unauthorized,
            ClientError::RateLimited => HomevisitError::RateLimited,
            ClientError::Refused(status) => HomevisitError::Relay { status: *status },
            other => HomevisitError::Internal { reason: other.to_string() },
        }
    }
}

impl From<ClientError> for HomevisitError {
    fn from(e: ClientError) -> Self {
        HomevisitError::from(&e)
    }
}

impl From<SessionError> for HomevisitError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Store(e) => e.into(),
            SessionError::Client(e) => e.into(),
            // Names the file and the OS's reason (the data directory's path is the shell's own).
            other => HomevisitError::Internal { reason: other.to_string() },
        }
    }
}

/// An id from the shell that is not a UUID.
pub(crate) fn bad_id(what: &str) -> HomevisitError {
    HomevisitError::Invalid { reason: format!("{what} is not a valid id") }
}
