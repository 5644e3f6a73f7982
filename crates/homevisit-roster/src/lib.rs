//! A district's roster in: schools, staff, families and their students, from the CSV files a
//! student information system exports (OneRoster 1.1/1.2) or from homevisit's own simple template,
//! as the model's records with stable ids. No I/O: file contents in, records or line-numbered
//! errors out.
//!
//! - Every record's id is a UUID v5 of [`ids::NAMESPACE`] and its source (format, kind, source id,
//!   and the school for staff and families), so a re-import addresses the same documents.
//! - A file with any bad row gives errors (all of them, up to [`MAX_ERRORS`]) and no roster.
//! - Errors name files, lines, columns and ids, never a person's name or any value from a row.
//! - Input is untrusted: files over [`MAX_FILE_BYTES`] and rows over [`MAX_ROW_BYTES`] are refused,
//!   and nothing in a file can make the parser panic.

mod errors;
pub mod ids;
mod merge;
mod oneroster;
mod table;
mod template;

use std::collections::BTreeMap;

use homevisit_model::{Educator, Family, School};

pub use errors::{Reason, RosterError};
pub use merge::{merge_educator, merge_family};

/// Largest file accepted, in bytes (50 MiB: a district of 100,000 students' `users.csv` is ~20 MB).
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Largest row accepted, in bytes.
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// Most students in one family (siblings at one school). More is a roster error (guardian rows
/// joined by mistake), and would make a family document no phone should carry.
pub const MAX_FAMILY_STUDENTS: usize = 20;
/// Most errors reported for one import; past it the last error says there were more.
pub const MAX_ERRORS: usize = 200;

/// Which files a roster comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OneRoster 1.1/1.2 CSV: `orgs.csv`, `users.csv`, optionally `roles.csv`, `classes.csv`,
    /// `enrollments.csv`. `demographics.csv` is never read.
    OneRoster,
    /// homevisit's template: `schools.csv`, `staff.csv`, `families.csv`, `students.csv`.
    Template,
}

impl Format {
    /// The files this format reads, and whether each must be present.
    pub fn files(self) -> &'static [(&'static str, bool)] {
        match self {
            Format::OneRoster => &[
                ("orgs.csv", true),
                ("users.csv", true),
                ("roles.csv", false),
                ("classes.csv", false),
                ("enrollments.csv", false),
            ],
            Format::Template => {
                &[("schools.csv", true), ("staff.csv", true), ("families.csv", true), ("students.csv", true)]
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::OneRoster => "oneroster",
            Format::Template => "template",
        }
    }
}

/// A district's roster as model records, each valid by the model's own rules, sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    pub schools: Vec<School>,
    pub educators: Vec<Educator>,
    pub families: Vec<Family>,
}

/// Parses a roster from the contents of `format`'s files (by file name; a name not among
/// [`Format::files`] is ignored). All or nothing: any bad row gives errors and no roster.
pub fn parse(format: Format, files: &BTreeMap<String, Vec<u8>>) -> Result<Roster, Vec<RosterError>> {
    let mut errors = errors::Errors::default();
    let mut tables = BTreeMap::new();
    for &(name, required) in format.files() {
        match files.get(name) {
            Some(bytes) => {
                if let Some(t) = table::Table::read(name, bytes, &mut errors) {
                    tables.insert(name, t);
                }
            }
            None if required => errors.push(RosterError::file(name, Reason::MissingFile)),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_vec());
    }
    let roster = match format {
        Format::OneRoster => oneroster::build(&tables, &mut errors),
        Format::Template => template::build(&tables, &mut errors),
    };
    if !errors.is_empty() {
        return Err(errors.into_vec());
    }
    let mut roster = roster;
    roster.schools.sort_by_key(|s| s.id);
    roster.educators.sort_by_key(|e| e.id);
    roster.families.sort_by_key(|f| f.id);
    Ok(roster)
}

/// The model's checks of a family, and at most [`MAX_FAMILY_STUDENTS`] students.
pub(crate) fn check_family(family: &Family) -> Result<(), homevisit_model::ValidationError> {
    if family.students.len() > MAX_FAMILY_STUDENTS {
        return Err(homevisit_model::ValidationError::TooMany { field: "students", max: MAX_FAMILY_STUDENTS });
    }
    homevisit_model::validate::validate_family(family)
}

/// `true`/`false` (also `yes`/`no`, `1`/`0`, any case); empty is `None`.
pub(crate) fn parse_bool(value: &str) -> Result<Option<bool>, ()> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "1" | "y" => Ok(Some(true)),
        "false" | "no" | "0" | "n" => Ok(Some(false)),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests;
