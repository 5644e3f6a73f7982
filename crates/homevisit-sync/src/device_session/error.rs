//! The device session's internal error: rich (it keeps the store's, the client's and the OS's own
//! errors, for logs and for callers that match on them) and classified by a stable `code()`. What a
//! shell sees is the FFI's smaller public error, converted from this one at the boundary.

use homevisit_store::StoreError;

use crate::client::ClientError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file in the data directory could not be created or deleted (names the file, never data).
    #[error("cannot {action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
    /// The device has no relay credentials: enroll first.
    #[error("this device is not enrolled with a relay")]
    NotEnrolled,
    /// The relay revoked this device: its store was wiped and syncing stopped.
    #[error("this device was revoked; its data was wiped")]
    Revoked,
    /// The device signed out (its store is wiped): open it again.
    #[error("the device session is closed (signed out)")]
    Closed,
    /// A store call panicked. Its message is not kept: a panic's text may quote what it worked on.
    #[error("a store call panicked")]
    Panicked,
    /// A store call was cancelled before it finished (the runtime is shutting down).
    #[error("a store call was cancelled")]
    Cancelled,
    /// Called outside a tokio runtime: there is nowhere to run the store call or the agent.
    #[error("no tokio runtime to run on")]
    NoRuntime,
    /// The partner's phone sent a message that cannot be read (`code`: `peer.malformed` or
    /// `peer.too_large`); nothing of it was stored.
    #[error("the other phone's message was refused ({code})")]
    PeerMessage { code: &'static str },
    /// Storage failed during a phone-to-phone exchange (its details are not kept).
    #[error("storage failed during a phone-to-phone exchange")]
    PeerStorage,
    /// A phone-to-phone exchange was used after it finished.
    #[error("the phone-to-phone exchange is finished")]
    ExchangeFinished,
}

pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> SessionError {
    move |source| SessionError::Io { action: action.into(), source }
}

impl SessionError {
    /// Whether this is the relay's revocation of this device (as the sync heard it, or after the
    /// wipe that followed).
    pub fn is_revoked(&self) -> bool {
        matches!(self, SessionError::Revoked | SessionError::Client(ClientError::Revoked))
    }

    /// Which layer failed: `store`, `client`, `io`, `session` or `task`. For logs.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionError::Store(_) => "store",
            SessionError::Client(_) => "client",
            SessionError::Io { .. } => "io",
            SessionError::NotEnrolled | SessionError::Closed | SessionError::Revoked => "session",
            SessionError::Panicked | SessionError::Cancelled | SessionError::NoRuntime => "task",
            SessionError::PeerMessage { .. } | SessionError::PeerStorage | SessionError::ExchangeFinished => "peer",
        }
    }

    /// A stable code for logs and for the public error: names the failure, never data.
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::Store(e) => store_code(e),
            SessionError::Client(e) => client_code(e),
            SessionError::Io { .. } => "io.data_dir",
            SessionError::NotEnrolled => "session.not_enrolled",
            SessionError::Closed => "session.closed",
            SessionError::Revoked => "session.revoked",
            SessionError::Panicked => "task.panicked",
            SessionError::Cancelled => "task.cancelled",
            SessionError::NoRuntime => "task.no_runtime",
            SessionError::PeerMessage { code } => code,
            SessionError::PeerStorage => "peer.storage",
            SessionError::ExchangeFinished => "peer.finished",
        }
    }
}

/// The stable code of a store error.
pub fn store_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::WrongKey => "store.wrong_key",
        StoreError::Unencrypted => "store.unencrypted",
        StoreError::Corrupt(_) => "store.corrupt",
        StoreError::NewerStoreSchema { .. } => "store.newer_schema",
        StoreError::NotFound(_) => "store.not_found",
        StoreError::Document { .. } => "store.document",
        StoreError::Invalid(_) => "store.invalid",
        StoreError::Forbidden(_) => "store.forbidden",
        StoreError::Random => "store.random",
        StoreError::Database(_) => "store.database",
        // The store's error may grow while its crate changes: a new variant is `store.other` here
        // until it is given its own code.
        #[allow(unreachable_patterns)]
        _ => "store.other",
    }
}

/// The stable code of a client error.
pub fn client_code(e: &ClientError) -> &'static str {
    match e {
        ClientError::InsecureUrl => "client.insecure_url",
        ClientError::Unreachable(_) => "client.unreachable",
        ClientError::Unauthorized => "client.unauthorized",
        ClientError::Revoked => "client.revoked",
        ClientError::BadAnswer => "client.bad_answer",
        ClientError::RateLimited => "client.rate_limited",
        ClientError::Refused(_) => "client.refused",
        ClientError::Protocol(_) => "client.protocol",
        ClientError::Storage(_) => "client.storage",
        ClientError::TooManyRounds(_) => "client.too_many_rounds",
        ClientError::Interrupted => "client.interrupted",
        ClientError::Setup(_) => "client.setup",
        #[allow(unreachable_patterns)]
        _ => "client.other",
    }
}
