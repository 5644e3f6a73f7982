//! One CSV file as rows of text with line numbers: bounded, BOM and CRLF accepted, extra columns
//! ignored, rows whose `status` is `tobedeleted` left out (their ids remembered, so references to
//! them are ignored rather than refused).

use std::collections::{BTreeSet, HashMap};

use crate::errors::{Errors, Reason, RosterError};
use crate::{MAX_FILE_BYTES, MAX_ROW_BYTES};

pub(crate) struct Row {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    fields: Vec<String>,
}

pub(crate) struct Table {
    pub file: &'static str,
    /// Lower-cased header name -> index.
    columns: HashMap<String, usize>,
    pub rows: Vec<Row>,
    /// `sourcedId`s of rows marked `tobedeleted`.
    pub deleted: BTreeSet<String>,
}

impl Table {
    /// Reads `bytes` as a CSV file with a header row. Bad rows are reported to `errors` and left
    /// out; `None` if the file cannot be read at all.
    pub(crate) fn read(file: &'static str, bytes: &[u8], errors: &mut Errors) -> Option<Table> {
        if bytes.len() > MAX_FILE_BYTES {
            errors.push(RosterError::file(file, Reason::FileTooLarge { max: MAX_FILE_BYTES }));
            return None;
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut records = reader.byte_records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                errors.push(RosterError::at(file, csv_line(&e), None, Reason::Malformed));
                return None;
            }
            None => {
                errors.push(RosterError::file(file, Reason::NoHeader));
                return None;
            }
        };
        let mut columns = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(name) else {
                errors.push(RosterError::at(file, 1, None, Reason::NotUtf8));
                return None;
            };
            columns.entry(name.trim().to_ascii_lowercase()).or_insert(i);
        }
        let expected = header.len();
        let mut table = Table { file, columns, rows: Vec::new(), deleted: BTreeSet::new() };
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(RosterError::at(file, csv_line(&e), None, Reason::Malformed));
                    return None;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.as_slice().len() > MAX_ROW_BYTES {
                errors.push(RosterError::at(file, line, None, Reason::RowTooLong { max: MAX_ROW_BYTES }));
                continue;
            }
            // A row of one empty field is a blank line with spaces or a stray separator.
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            if record.len() != expected {
                errors.push(RosterError::at(file, line, None, Reason::FieldCount { found: record.len(), expected }));
                continue;
            }
            let mut fields = Vec::with_capacity(record.len());
            let mut utf8 = true;
            for f in record.iter() {
                match std::str::from_utf8(f) {
                    Ok(s) => fields.push(s.trim().to_string()),
                    Err(_) => utf8 = false,
                }
            }
            if !utf8 {
                errors.push(RosterError::at(file, line, None, Reason::NotUtf8));
                continue;
            }
            let row = Row { line, fields };
            if table.get(&row, "status").eq_ignore_ascii_case("tobedeleted") {
                table.deleted.insert(table.get(&row, "sourcedId").to_string());
                continue;
            }
            table.rows.push(row);
        }
        Some(table)
    }

    pub(crate) fn has(&self, column: &str) -> bool {
        self.columns.contains_key(&column.to_ascii_lowercase())
    }

    /// Reports each of `columns` the header lacks; `true` if it has them all.
    pub(crate) fn require(&self, columns: &[&'static str], errors: &mut Errors) -> bool {
        let mut ok = true;
        for c in columns {
            if !self.has(c) {
                errors.push(RosterError::at(self.file, 1, Some(c), Reason::MissingColumn));
                ok = false;
            }
        }
        ok
    }

    /// The row's value in `column` (trimmed), or `""` if the file has no such column.
    pub(crate) fn get<'r>(&self, row: &'r Row, column: &str) -> &'r str {
        self.columns.get(&column.to_ascii_lowercase()).and_then(|&i| row.fields.get(i)).map_or("", String::as_str)
    }

    /// An error about `row`'s `column`.
    pub(crate) fn error(&self, row: &Row, column: Option<&'static str>, reason: Reason) -> RosterError {
        RosterError::at(self.file, row.line, column, reason)
    }
}

fn csv_line(e: &csv::Error) -> u64 {
    e.position().map_or(0, |p| p.line())
}

/// A OneRoster list field: comma-separated ids, blanks dropped.
pub(crate) fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}
