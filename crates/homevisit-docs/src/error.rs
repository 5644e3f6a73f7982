use homevisit_model::{NoteField, ValidationError};
use thiserror::Error;

/// What can go wrong reading or writing a document. Messages name fields and kinds, never content.
#[derive(Debug, Error)]
pub enum DocError {
    #[error("not a document id (expected `kind/uuid`)")]
    BadDocId,
    #[error("the document bytes are not a valid Automerge document or change")]
    Corrupt(#[source] Box<automerge::AutomergeError>),
    #[error("automerge failed on these bytes while it tried to {during} (a crash, contained)")]
    Crashed { during: &'static str },
    #[error("the bytes are not a document this app reads: {0}")]
    Unreadable(&'static str),
    #[error("a {kind} may hold {max} operations; these bytes would make it {ops}")]
    TooManyOps { kind: &'static str, ops: u64, max: u64 },
    #[error("a document may take {max} bytes; these are {len}")]
    TooLarge { len: usize, max: usize },
    #[error("not a valid Automerge sync message")]
    BadSyncMessage,
    #[error("the document's content names another {what} than its document id")]
    IdMismatch { what: &'static str },
    #[error("automerge rejected the operation")]
    Automerge(#[source] Box<automerge::AutomergeError>),
    #[error("the document is a `{found}`, expected a `{expected}`")]
    WrongKind { expected: &'static str, found: String },
    #[error("the document has no schema version")]
    MissingSchema,
    #[error("the document uses schema version {found}; this app understands up to {supported}. Update the app.")]
    NewerSchema { found: u64, supported: u64 },
    #[error("the document's content does not match its schema: {0}")]
    Shape(String),
    #[error("position {pos} (+{delete} deleted) is outside the {field:?} text of length {len} (UTF-16 units)")]
    OutOfRange { field: NoteField, pos: usize, delete: usize, len: usize },
    #[error("position {pos} in the {field:?} text falls inside a character (between UTF-16 surrogates)")]
    SplitsCharacter { field: NoteField, pos: usize },
    #[error("the {field:?} text would be longer than {max} UTF-16 units")]
    TooLong { field: NoteField, max: usize },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Automerge(Box::new(e))
    }
}

impl From<autosurgeon::HydrateError> for DocError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        DocError::Shape(e.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for DocError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        DocError::Shape(e.to_string())
    }
}
