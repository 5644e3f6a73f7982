//! The CSV files coordinators download (RFC 4180; a field that a spreadsheet would run as a
//! formula is prefixed with `'`).

use homevisit_model::Timestamp;

use crate::Period;
use crate::stipend::StipendRow;
use crate::visit_log::VisitRow;

/// The stipend report's header.
pub const STIPEND_HEADER: &str = "period_start,period_end,school_id,educator_id,educator,completed_visits,partner_confirmed_visits,training_valid,rate,amount,paid";

/// The visit log's header.
pub const VISIT_LOG_HEADER: &str = "visit_id,school_id,family_id,family,educator_ids,educators,scheduled_at,started_at,ended_at,status,visit_number,place_kind,interpreter,duration_minutes,agreement_recorded,documented,debriefed";

/// The stipend report for `period` at `rate_cents` a documented visit. Dates in UTC; `period_end`
/// is the last day included.
pub fn stipend_csv(rows: &[StipendRow], period: &Period, rate_cents: u64) -> String {
    let (start, end) = (period.first_day().to_string(), period.last_day().to_string());
    write(
        STIPEND_HEADER,
        rows.iter().map(|r| {
            vec![
                start.clone(),
                end.clone(),
                r.school_id.to_string(),
                r.educator_id.to_string(),
                r.display_name.clone(),
                r.completed.to_string(),
                r.partner_confirmed.to_string(),
                yes_no(r.training_valid),
                dollars(rate_cents),
                dollars(r.amount_cents),
                yes_no(r.paid),
            ]
        }),
    )
}

/// The visit log. Times in RFC 3339, UTC; educators' ids joined by `;`, their names by `; `.
pub fn visit_log_csv(rows: &[VisitRow]) -> String {
    let time = |t: Option<Timestamp>| t.map(rfc3339).unwrap_or_default();
    write(
        VISIT_LOG_HEADER,
        rows.iter().map(|r| {
            vec![
                r.visit_id.to_string(),
                r.school_id.to_string(),
                r.family_id.to_string(),
                r.family_name.clone().unwrap_or_default(),
                r.educator_ids.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(";"),
                r.educator_names.join("; "),
                rfc3339(r.scheduled_at),
                time(r.started_at),
                time(r.ended_at),
                r.status.as_str().to_string(),
                r.visit_number.number().to_string(),
                r.place_kind.to_string(),
                yes_no(r.interpreter),
                r.duration_minutes.map(|m| m.to_string()).unwrap_or_default(),
                yes_no(r.agreement_recorded),
                yes_no(r.documented),
                yes_no(r.debriefed),
            ]
        }),
    )
}

/// `header` (comma-separated names) and `rows` as CSV, every field guarded against formulas.
pub(crate) fn write(header: &str, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    let mut written = out.write_record(header.split(','));
    for row in rows {
        written = written.and_then(|()| out.write_record(row.iter().map(|f| guard(f).into_owned())));
    }
    // Writing to memory fails only on a bug in the writer; no input can make it.
    written.expect("a CSV written to memory");
    let bytes = out.into_inner().expect("a CSV written to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// A field a spreadsheet would read as a formula, prefixed with `'`.
fn guard(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{field}").into() } else { field.into() }
}

pub(crate) fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn dollars(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn rfc3339(t: Timestamp) -> String {
    t.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use homevisit_model::{Grade, VisitStatus};

    use super::*;
    use crate::stipend::stipends;
    use crate::test_support::{Roster, period};
    use crate::visit_log::{VisitFilter, visit_rows};

    #[test]
    fn the_stipend_csv_has_its_header_dollars_and_the_last_day() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", None);
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.completed(f, &[a, b], "2026-09-11T16:00:00Z");
        let p = period("2026-09-01", "2026-09-30");
        let csv = stipend_csv(&stipends(&r.data, &p, 4050, &BTreeSet::from([a])), &p, 4050);
        let lines: Vec<_> = csv.split("\r\n").collect();
        assert_eq!(lines[0], STIPEND_HEADER);
        assert_eq!(lines[1], format!("2026-09-01,2026-09-30,{s},{a},Ana,2,2,yes,40.50,81.00,yes"));
        assert_eq!(lines[2], format!("2026-09-01,2026-09-30,{s},{b},Ben,2,2,no,40.50,81.00,no"));
        assert_eq!(lines[3], "");
    }

    #[test]
    fn fields_are_quoted_and_formulas_guarded() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "=HYPERLINK(\"http://x\")", Some("2026-08-01"));
        let b = r.educator(s, "O'Neil, \"Bo\"", Some("2026-08-01"));
        let f = r.family(s, "@Garcia, \"Lopez\"\nfamily", &[(Grade::K, &[])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.visit(f, &[a, b], homevisit_model::VisitNumber::Second, VisitStatus::Planned, "2026-09-11T16:00:00Z");
        let csv = visit_log_csv(&visit_rows(&r.data, &VisitFilter::default()));
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>().join(","), VISIT_LOG_HEADER);
        let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        let done = &rows[1];
        assert_eq!(&done[3], "'@Garcia, \"Lopez\"\nfamily");
        assert_eq!(&done[5], "'=HYPERLINK(\"http://x\"); O'Neil, \"Bo\"");
        assert_eq!(&done[6], "2026-09-10T16:00:00Z");
        assert_eq!(&done[7], "2026-09-10T16:00:00Z");
        assert_eq!(&done[8], "2026-09-10T17:00:00Z");
        assert_eq!((&done[9], &done[10], &done[13]), ("completed", "1", "60"));
        assert_eq!((&rows[0][7], &rows[0][13], &rows[0][15]), ("", "", "no"));
        assert!(csv.contains("\"'@Garcia, \"\"Lopez\"\"\nfamily\""), "quotes doubled inside a quoted field");
    }

    proptest::proptest! {
        /// Whatever a name holds (quotes, commas, line breaks, formula leads), it reads back as
        /// written, behind a `'` when a spreadsheet would run it, in its own field.
        #[test]
        fn any_name_reads_back_in_its_own_field(name in "\\PC*", other in "[=+@\t\r-]?[a-z,\"\n ]{0,8}") {
            let mut r = Roster::default();
            let s = r.school("Lincoln");
            let a = r.educator(s, &other, Some("2026-08-01"));
            let b = r.educator(s, "Ben", Some("2026-08-01"));
            let f = r.family(s, &name, &[(Grade::K, &[])]);
            r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
            let csv = visit_log_csv(&visit_rows(&r.data, &VisitFilter::default()));
            let rows: Vec<_> = ::csv::Reader::from_reader(csv.as_bytes()).records().map(|r| r.unwrap()).collect();
            proptest::prop_assert_eq!(rows.len(), 1);
            proptest::prop_assert_eq!(rows[0].len(), VISIT_LOG_HEADER.split(',').count());
            proptest::prop_assert_eq!(rows[0][3].to_string(), guard(&name).into_owned());
            proptest::prop_assert_eq!(rows[0][5].to_string(), guard(&format!("{other}; Ben")).into_owned());
        }
    }

    #[test]
    fn every_formula_lead_is_guarded_and_nothing_else() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            assert_eq!(guard(&format!("{lead}1")), format!("'{lead}1"));
        }
        assert_eq!(guard("Ana"), "Ana");
        assert_eq!(guard("12"), "12");
    }
}
