//! Time types that store cleanly in Automerge: instants as Automerge timestamps (milliseconds since
//! the Unix epoch, UTC) and calendar days as `YYYY-MM-DD` strings.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An instant, to millisecond precision, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(ms).map(Self)
    }
    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }
    pub fn now() -> Self {
        // Truncate to milliseconds so a value survives a round trip through a document unchanged.
        Self::from_millis(Utc::now().timestamp_millis()).expect("now is representable")
    }
    /// Parses RFC 3339, e.g. `2026-09-14T16:30:00Z` or `2026-09-14T09:30:00-07:00`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(s).ok().and_then(|t| Self::from_millis(t.timestamp_millis()))
    }
    pub fn day_utc(&self) -> Day {
        Day(self.0.date_naive())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.millis())
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(ms: i64) -> Result<Self, HydrateError> {
        Self::from_millis(ms).ok_or_else(|| HydrateError::unexpected("a timestamp in range", "out of range".into()))
    }
}

/// A calendar day (no time zone), such as a training date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Day(pub NaiveDate);

impl Day {
    pub fn parse(s: &str) -> Option<Self> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Self)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Reconcile for Day {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_string())
    }
}

impl Hydrate for Day {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        Self::parse(s).ok_or_else(|| HydrateError::unexpected("a YYYY-MM-DD date", "another string".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_offsets_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-09-14T09:30:00-07:00").unwrap();
        assert_eq!(t.to_string(), "2026-09-14T16:30:00.000Z");
        assert!(Timestamp::parse_rfc3339("14/09/2026").is_none());
    }

    #[test]
    fn days_round_trip() {
        let d = Day::parse("2026-08-01").unwrap();
        assert_eq!(d.to_string(), "2026-08-01");
        assert!(Day::parse("2026-13-01").is_none());
    }
}
