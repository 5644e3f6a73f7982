//! The operator's report exports (`homevisit-relay export stipends|visits|evaluation`) and the
//! district's stipend rate (`homevisit-relay stipend-rate`): what a school's (or every school's)
//! records are gathered into ([`Relay::report_data`]), computed by `homevisit_reports` exactly as
//! the dashboard computes them, and written as CSV. Each export and each rate change is audited
//! (ids and counts only).

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{FixedOffset, NaiveDate};
use homevisit_model::{Day, SchoolId};
use homevisit_reports::visit_log::VisitFilter;
use homevisit_reports::{Period, csv, evaluation, stipend, visit_log};

use crate::audit::AuditEvent;
use crate::dashboard_store::{DashboardStoreError, period_key};
use crate::{Relay, RelayError};

/// The setting the district's stipend rate is kept under (cents per documented visit).
pub const STIPEND_RATE_KEY: &str = "stipend_rate_cents";
/// The rate until the district sets one: 40.00 dollars a documented visit.
pub const DEFAULT_STIPEND_RATE_CENTS: u64 = 4000;
/// Highest rate accepted (10,000.00 dollars a visit): anything above is a typing mistake.
pub const MAX_STIPEND_RATE_CENTS: u64 = 1_000_000;

/// The time zone an export's days are in: UTC, as the dashboard's (so a file and the page it was
/// downloaded beside agree).
pub const DAYS_OFFSET: FixedOffset = FixedOffset::east_opt(0).expect("UTC");

/// Which report an export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    /// Per educator: completed and partner-confirmed visits, training, amount, paid.
    Stipends,
    /// The visit log, one row per visit.
    Visits,
    /// Anonymised for an evaluator: pseudonyms (a fresh key per export), no names, no text.
    Evaluation,
}

impl ExportKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExportKind::Stipends => "stipends",
            ExportKind::Visits => "visits",
            ExportKind::Evaluation => "evaluation",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{flag} must be a date as YYYY-MM-DD")]
    BadDate { flag: &'static str },
    #[error("--from must not be after --to")]
    Backwards,
    #[error("the rate must be dollars (and cents), like 40 or 42.50, from 0 to 10000")]
    BadRate,
    #[error("no school {0} on this relay")]
    UnknownSchool(SchoolId),
    #[error("the system random generator failed")]
    Random,
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error("dashboard store: {0}")]
    Store(#[from] DashboardStoreError),
}

/// A date given as `flag` (`--from`, `--to`), `YYYY-MM-DD`.
pub fn parse_day(flag: &'static str, value: &str) -> Result<NaiveDate, ExportError> {
    Day::parse(value.trim()).map(|d| d.0).ok_or(ExportError::BadDate { flag })
}

/// Dollars as the operator types them (`40`, `42.5`, `42.50`) in cents.
pub fn parse_dollars(text: &str) -> Result<u64, ExportError> {
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, cents) = match text.trim().split_once('.') {
        Some((whole, cents)) if digits(cents) && cents.len() <= 2 => (whole, cents),
        Some(_) => return Err(ExportError::BadRate),
        None => (text.trim(), ""),
    };
    if !digits(whole) {
        return Err(ExportError::BadRate);
    }
    let cents = match cents.len() {
        0 => 0,
        1 => cents.parse::<u64>().map_err(|_| ExportError::BadRate)? * 10,
        _ => cents.parse::<u64>().map_err(|_| ExportError::BadRate)?,
    };
    let total = whole.parse::<u64>().map_err(|_| ExportError::BadRate)? * 100 + cents;
    if total > MAX_STIPEND_RATE_CENTS {
        return Err(ExportError::BadRate);
    }
    Ok(total)
}

/// Cents as dollars: `4000` is `40.00`.
pub fn dollars(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// One export: which, whose, which days (both included, in the district's time zone at `offset`),
/// and for stipends the rate if not the district's.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub kind: ExportKind,
    /// `None`: every school.
    pub school: Option<SchoolId>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rate_cents: Option<u64>,
    pub offset: FixedOffset,
}

/// An export's CSV and how many rows it holds.
#[derive(Clone, Debug)]
pub struct Export {
    pub csv: String,
    pub rows: u64,
}

impl Relay {
    /// The district's stipend rate in cents per documented visit (the default until one is set).
    pub fn stipend_rate_cents(&self) -> Result<u64, RelayError> {
        Ok(self.backend.setting(STIPEND_RATE_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_STIPEND_RATE_CENTS))
    }

    /// Sets the district's stipend rate, audited.
    pub fn set_stipend_rate_cents(&self, cents: u64) -> Result<(), RelayError> {
        self.backend.set_setting(STIPEND_RATE_KEY, &cents.to_string())?;
        self.audit_operator(&[AuditEvent::StipendRateSet { cents }])
    }

    /// Gathers and computes one export, and audits it (which, whose, how many rows).
    pub fn export_report(&self, request: &ExportRequest) -> Result<Export, ExportError> {
        if request.from > request.to {
            return Err(ExportError::Backwards);
        }
        let data = self.report_data(request.school)?;
        if let Some(school) = request.school
            && !data.schools.iter().any(|s| s.id == school)
        {
            return Err(ExportError::UnknownSchool(school));
        }
        let period = Period::days(Day(request.from), Day(request.to), request.offset);
        let (csv, rows) = match request.kind {
            ExportKind::Stipends => {
                let rate = match request.rate_cents {
                    Some(rate) => rate,
                    None => self.stipend_rate_cents()?,
                };
                let mut paid = BTreeSet::new();
                for school in &data.schools {
                    paid.extend(self.dashboard().paid(&period_key(school.id, request.from, request.to))?);
                }
                let rows = stipend::stipends(&data, &period, rate, &paid);
                (csv::stipend_csv(&rows, &period, rate), rows.len())
            }
            ExportKind::Visits => {
                let rows = visit_log::visit_rows(&data, &VisitFilter { period: Some(period), ..Default::default() });
                (csv::visit_log_csv(&rows), rows.len())
            }
            ExportKind::Evaluation => {
                // A key for this export only, never kept: its pseudonyms match no other export's.
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|_| ExportError::Random)?;
                let rows = data.visits.iter().filter(|v| period.contains(v.plan.scheduled_at)).count();
                (evaluation::evaluation_csv(&data, &period, &key), rows)
            }
        };
        let rows = rows as u64;
        self.audit_operator(&[AuditEvent::ReportExported { report: request.kind, school: request.school, rows }])?;
        Ok(Export { csv, rows })
    }
}

/// Writes an export to `path`, readable by this user only.
pub fn write_export(path: &Path, export: &Export) -> Result<(), RelayError> {
    crate::deletion::write_private(path, export.csv.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_parse_to_cents_and_back() {
        for (text, cents) in
            [("40", 4000), ("42.5", 4250), ("42.50", 4250), ("0", 0), (" 7.05 ", 705), ("10000", 1_000_000)]
        {
            assert_eq!(parse_dollars(text).unwrap(), cents, "{text}");
        }
        for bad in ["", "-1", "$40", "40.", ".5", "40.505", "1e3", "10000.01", "4O", "99999999999"] {
            assert!(matches!(parse_dollars(bad), Err(ExportError::BadRate)), "{bad:?}");
        }
        assert_eq!((dollars(4000), dollars(4250), dollars(5)), ("40.00".into(), "42.50".into(), "0.05".into()));
    }

    #[test]
    fn dates_are_days_or_a_clear_error() {
        assert_eq!(parse_day("--from", "2026-09-01").unwrap(), NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        for bad in ["2026-13-01", "2026-02-30", "09/01/2026", "", "yesterday"] {
            let e = parse_day("--to", bad).unwrap_err();
            assert_eq!(e.to_string(), "--to must be a date as YYYY-MM-DD", "{bad:?}");
        }
    }
}
