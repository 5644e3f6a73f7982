//! A dashboard page's query string (`school`, `from`, `to`, and the visit log's filters) parsed into
//! typed values, the pay period or span of days it names, and links that carry it on. A malformed
//! value is a [`Failure::BadRequest`]; an empty one (a form's "any") is no filter.

use chrono::Datelike;
use homevisit_model::{Day, EducatorId, VisitNumber, VisitStatus};
use homevisit_reports::Period;

use super::respond::Failure;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    /// As given: what it may name is the account's to decide (`scope.rs`).
    pub school: Option<String>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub educator: Option<EducatorId>,
    pub status: Option<VisitStatus>,
    pub visit_number: Option<VisitNumber>,
}

impl Filters {
    pub fn parse(query: Option<&str>) -> Result<Filters, Failure> {
        Self::from_pairs(form_urlencoded::parse(query.unwrap_or("").as_bytes()))
    }

    /// From name-value pairs (a query string's or a form's); unknown names are ignored.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Result<Filters, Failure> {
        let mut f = Filters::default();
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let bad = Failure::BadRequest;
            match &*name {
                "school" => f.school = Some(value.to_string()),
                "from" => f.from = Some(Day::parse(value).ok_or(bad)?),
                "to" => f.to = Some(Day::parse(value).ok_or(bad)?),
                "educator" => f.educator = Some(EducatorId(value.parse().map_err(|_| bad)?)),
                "status" => f.status = Some(VisitStatus::parse(value).ok_or(bad)?),
                "visit_number" => {
                    f.visit_number = Some(value.parse::<u8>().ok().and_then(VisitNumber::from_number).ok_or(bad)?)
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// The days these filters cover on `today`: `from`..=`to`, by default the school year so far
    /// (from 1 July). `from` after `to`, or a day off the calendar, is a bad request.
    pub fn span(&self, today: Day) -> Result<Span, Failure> {
        let to = self.to.unwrap_or(today);
        let from = self.from.unwrap_or_else(|| school_year_start(to));
        let utc = chrono::FixedOffset::east_opt(0).expect("UTC");
        let period = Period::try_days(from, to, utc).ok_or(Failure::BadRequest)?;
        Ok(Span { from, to, period })
    }
}

/// 1 July of the school year `day` is in (`day` itself at the calendar's first edge).
fn school_year_start(day: Day) -> Day {
    let year = if day.0.month() >= 7 { day.0.year() } else { day.0.year() - 1 };
    chrono::NaiveDate::from_ymd_opt(year, 7, 1).map_or(day, Day)
}

/// Calendar days, both included (the dashboard counts in UTC days, as it shows times and as the
/// `export` command counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: Day,
    pub to: Day,
    period: Period,
}

impl Span {
    /// The instants these days cover.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The key of `school`'s stipend marks for these days as a pay period (the `export`
    /// command's too).
    pub fn key(&self, school: homevisit_model::SchoolId) -> crate::dashboard_store::PayPeriodKey {
        crate::dashboard_store::period_key(school, self.from.0, self.to.0)
    }
}

/// `path` with the query `pairs` (empty values left out), encoded.
pub fn link(path: &str, pairs: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn filters_are_typed_and_empty_values_are_no_filter() {
        let educator = EducatorId::new();
        let f = Filters::parse(Some(&format!(
            "school=abc&from=2026-09-01&to=&educator={}&status=completed&visit_number=2&lang=es",
            educator.0
        )))
        .unwrap();
        assert_eq!(f.school.as_deref(), Some("abc"));
        assert_eq!((f.from, f.to), (Some(day("2026-09-01")), None));
        assert_eq!(f.educator, Some(educator));
        assert_eq!(f.status, Some(VisitStatus::Completed));
        assert_eq!(f.visit_number, Some(VisitNumber::Second));
        assert_eq!(Filters::parse(None).unwrap(), Filters::default());
        for bad in ["from=2026-13-01", "to=yesterday", "educator=7", "status=done", "visit_number=3"] {
            assert_eq!(Filters::parse(Some(bad)), Err(Failure::BadRequest), "{bad}");
        }
    }

    #[test]
    fn the_span_defaults_to_the_school_year_so_far_and_must_run_forwards() {
        let none = Filters::default();
        let days = |s: Span| (s.from, s.to);
        assert_eq!(days(none.span(day("2026-12-05")).unwrap()), (day("2026-07-01"), day("2026-12-05")));
        assert_eq!(days(none.span(day("2027-03-01")).unwrap()), (day("2026-07-01"), day("2027-03-01")));
        assert_eq!(days(none.span(day("2026-07-01")).unwrap()), (day("2026-07-01"), day("2026-07-01")));
        let backwards = Filters { from: Some(day("2026-10-02")), to: Some(day("2026-10-01")), ..Filters::default() };
        assert_eq!(backwards.span(day("2026-12-05")), Err(Failure::BadRequest));
        // The calendar's last day has no next midnight: refused, not a panic.
        let last =
            Filters { from: Some(day("2026-01-01")), to: Some(Day(chrono::NaiveDate::MAX)), ..Filters::default() };
        assert_eq!(last.span(day("2026-12-05")), Err(Failure::BadRequest));
        let october = Filters { from: Some(day("2026-10-01")), to: Some(day("2026-10-31")), ..Filters::default() };
        let span = october.span(day("2026-12-05")).unwrap();
        assert_eq!(span.key(homevisit_model::SchoolId::new()).period, "2026-10-01..2026-10-31");
        let p = span.period();
        assert_eq!(p.start.0.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        assert_eq!(p.end.0.to_rfc3339(), "2026-11-01T00:00:00+00:00");
    }

    #[test]
    fn links_encode_their_values_and_leave_out_empty_ones() {
        let pairs = [("school", String::new()), ("from", "2026-10-01".into()), ("q", "a&b c".into())];
        assert_eq!(link("/dashboard/visits", &pairs), "/dashboard/visits?from=2026-10-01&q=a%26b+c");
        assert_eq!(link("/dashboard/visits", &[]), "/dashboard/visits");
    }
}
