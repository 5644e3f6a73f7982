//! The selections every report starts from (the visits in a period, the completed ones, the
//! families a school enrolls, the students of visited families), kept in one place so every
//! report counts the same way.

use std::collections::{BTreeSet, HashMap};

use homevisit_model::{Day, Educator, EducatorId, Family, FamilyId, SchoolId, VisitLog, VisitStatus};

use crate::{Period, Ratio, ReportData};

/// Visits scheduled in `period`, whatever their status.
pub(crate) fn scheduled_in<'a>(data: &'a ReportData, period: &'a Period) -> impl Iterator<Item = &'a VisitLog> {
    data.visits.iter().filter(move |v| period.contains(v.plan.scheduled_at))
}

/// Completed visits scheduled in `period`.
pub(crate) fn completed_in<'a>(data: &'a ReportData, period: &'a Period) -> impl Iterator<Item = &'a VisitLog> {
    scheduled_in(data, period).filter(|v| v.outcome.status == VisitStatus::Completed)
}

/// The day a visit happened (or is to happen), in UTC: the day it started, else its scheduled day.
pub(crate) fn visit_day(v: &VisitLog) -> Day {
    v.outcome.started_at.unwrap_or(v.plan.scheduled_at).day_utc()
}

/// Families with a completed visit in `period`.
pub(crate) fn visited_families(data: &ReportData, period: &Period) -> BTreeSet<FamilyId> {
    completed_in(data, period).map(|v| v.plan.family_id).collect()
}

/// The families on `school`'s roster (by the family record's school).
pub(crate) fn families_of(data: &ReportData, school: SchoolId) -> impl Iterator<Item = &Family> {
    data.families.iter().filter(move |f| f.school_id == school)
}

/// The educators on `school`'s roster.
pub(crate) fn educators_of(data: &ReportData, school: SchoolId) -> impl Iterator<Item = &Educator> {
    data.educators.iter().filter(move |e| e.school_id == school)
}

/// Students of `visited` families ÷ students, over `families`.
pub(crate) fn students<'a>(families: impl Iterator<Item = &'a Family>, visited: &BTreeSet<FamilyId>) -> Ratio {
    families.fold(Ratio::default(), |r, f| {
        let n = count(f.students.len());
        Ratio { part: r.part + if visited.contains(&f.id) { n } else { 0 }, whole: r.whole + n }
    })
}

/// The roster's educators by id.
pub(crate) fn educators_by_id(data: &ReportData) -> HashMap<EducatorId, &Educator> {
    data.educators.iter().map(|e| (e.id, e)).collect()
}

/// A count as the `u32` reports carry (saturating: no roster comes near it).
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
