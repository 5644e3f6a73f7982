use homevisit_docs::{DocError, DocId};
use homevisit_model::ValidationError;
use rusqlite::ErrorCode;
use thiserror::Error;

/// Errors from the store. None carries family data: documents are named by id only.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the key does not open this store (wrong key, or the file is not a homevisit store)")]
    WrongKey,
    #[error("the file is an unencrypted SQLite database; homevisit stores are always encrypted")]
    Unencrypted,
    #[error("the store file is damaged ({0})")]
    Corrupt(String),
    #[error("the store was written by a newer app (schema {found}, this app knows up to {supported})")]
    NewerStoreSchema { found: i64, supported: i64 },
    #[error("no document {0}")]
    NotFound(DocId),
    #[error("document {doc}: {source}")]
    Document {
        doc: DocId,
        #[source]
        source: Box<DocError>,
    },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("not allowed to write document {0}")]
    Forbidden(DocId),
    #[error("the system random generator failed")]
    Random,
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    pub(crate) fn doc(doc: DocId) -> impl FnOnce(DocError) -> StoreError {
        move |source| match source {
            DocError::Invalid(v) => StoreError::Invalid(v),
            source => StoreError::Document { doc, source: Box::new(source) },
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::WrongKey,
            Some(ErrorCode::DatabaseCorrupt) => {
                StoreError::Corrupt("a database page failed its integrity check".into())
            }
            // rusqlite's messages name SQL and codes, never bound values (all values are bound).
            _ => StoreError::Database(e.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
