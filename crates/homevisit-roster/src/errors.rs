//! Typed, line-numbered errors that never quote a value from the file.

use std::fmt;

use homevisit_model::ValidationError;

use crate::MAX_ERRORS;

/// What is wrong. No variant carries a value read from a row, only names of files and columns,
/// counts and the model's own (name-free) validation errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("the file is missing")]
    MissingFile,
    #[error("the file is larger than {max} bytes")]
    FileTooLarge { max: usize },
    #[error("the row is longer than {max} bytes")]
    RowTooLong { max: usize },
    #[error("the file has no header row")]
    NoHeader,
    #[error("the header has no such column")]
    MissingColumn,
    #[error("the row has {found} fields, the header {expected}")]
    FieldCount { found: usize, expected: usize },
    #[error("the text is not UTF-8")]
    NotUtf8,
    #[error("the file is not well-formed CSV")]
    Malformed,
    #[error("a value is required")]
    Empty,
    #[error("expected {expected}")]
    BadValue { expected: &'static str },
    #[error("the id appears on an earlier row")]
    DuplicateId,
    #[error("names no {what}")]
    UnknownReference { what: &'static str },
    #[error("{0}")]
    Invalid(ValidationError),
    #[error("more errors were found and not listed")]
    TooManyErrors,
}

/// One error: which file, which line (1 is the header; 0 is the file as a whole), which column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterError {
    pub file: &'static str,
    pub line: u64,
    pub column: Option<&'static str>,
    pub reason: Reason,
}

impl RosterError {
    pub(crate) fn file(file: &'static str, reason: Reason) -> Self {
        Self { file, line: 0, column: None, reason }
    }
    pub(crate) fn at(file: &'static str, line: u64, column: Option<&'static str>, reason: Reason) -> Self {
        Self { file, line, column, reason }
    }
}

impl fmt::Display for RosterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for RosterError {}

/// Errors collected while parsing, at most [`MAX_ERRORS`].
#[derive(Default)]
pub(crate) struct Errors {
    list: Vec<RosterError>,
}

impl Errors {
    pub(crate) fn push(&mut self, e: RosterError) {
        if self.list.len() < MAX_ERRORS - 1 {
            self.list.push(e);
        } else if self.list.len() == MAX_ERRORS - 1 {
            self.list.push(RosterError::file(e.file, Reason::TooManyErrors));
        }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub(crate) fn into_vec(self) -> Vec<RosterError> {
        self.list
    }
}
