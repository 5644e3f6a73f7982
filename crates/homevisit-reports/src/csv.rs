//! The CSV files coordinators download (RFC 4180; a field that a spreadsheet would run as a
//! formula is prefixed with `'`).

use crate::Period;
use crate::stipend::StipendRow;
use crate::visit_log::VisitRow;

/// The stipend report's header.
pub const STIPEND_HEADER: &str =
    "period_start,period_end,school_id,educator_id,educator,completed_visits,partner_confirmed_visits,training_valid,rate,amount,paid";

/// The stipend report for `period` at `rate_cents` a documented visit.
pub fn stipend_csv(rows: &[StipendRow], period: &Period, rate_cents: u64) -> String {
    let _ = (rows, period, rate_cents);
    todo!()
}

/// The visit log.
pub fn visit_log_csv(rows: &[VisitRow]) -> String {
    let _ = rows;
    todo!()
}
