//! Fidelity to the five core practices, over a school's completed visits in a period: made in
//! pairs (two or more adults, the second may be a separate interpreter), the family's agreement
//! recorded before the visit, the debrief done, an educator trained on the visit's day (an
//! untrained educator goes only with a trained partner), and reach spread across grades and
//! classes rather than concentrated.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use homevisit_model::{Educator, EducatorId, FamilyId, Grade, SchoolId, VisitLog};
use serde::Serialize;

use crate::select::{completed_in, count, educators_by_id, families_of, visit_day, visited_families};
use crate::{Period, Ratio, ReportData};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fidelity {
    pub school_id: SchoolId,
    pub school_name: String,
    /// Each ratio's whole is the school's completed visits in the period.
    pub in_pairs: Ratio,
    pub agreement_before: Ratio,
    pub debriefed: Ratio,
    pub trained_or_paired: Ratio,
    /// Students visited ÷ enrolled, per grade (every grade on the roster, in grade order).
    pub by_grade: Vec<Spread>,
    /// The same per class (every class on the roster, by name).
    pub by_class: Vec<Spread>,
    /// Grades with at least one student visited ÷ grades on the roster.
    pub grades_reached: Ratio,
    /// The largest share of visited students any one grade holds (100 when all are in one grade).
    pub largest_grade_share_percent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub label: String,
    pub students: Ratio,
}

/// The four core practices one visit shows (the fifth, spread, is a school's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Practices {
    /// Two or more adults: the educators plus a separate interpreter.
    pub in_pair: bool,
    /// The family's agreement recorded no later than the visit's start (its scheduled time when
    /// it has not started).
    pub agreement_before: bool,
    pub debriefed: bool,
    /// At least one of the visit's educators trained on the visit's day.
    pub trained_or_paired: bool,
}

impl Practices {
    pub(crate) fn of(v: &VisitLog, educators: &HashMap<EducatorId, &Educator>, data: &ReportData) -> Practices {
        let start = v.outcome.started_at.unwrap_or(v.plan.scheduled_at);
        let day = visit_day(v);
        Practices {
            in_pair: v.plan.adults() >= 2,
            agreement_before: v.plan.family_agreement.as_ref().is_some_and(|a| a.agreed_at <= start),
            debriefed: data.debriefed.contains(&v.plan.id),
            trained_or_paired: v
                .plan
                .educator_ids
                .iter()
                .any(|id| educators.get(id).is_some_and(|e| e.is_trained_on(day))),
        }
    }
}

/// Fidelity per school (in `data.schools` order). A visit counts for the school on its plan; a
/// student for the school of the family record.
pub fn fidelity(data: &ReportData, period: &Period) -> Vec<Fidelity> {
    let educators = educators_by_id(data);
    let visited = visited_families(data, period);
    data.schools
        .iter()
        .map(|school| {
            let practices: Vec<Practices> = completed_in(data, period)
                .filter(|v| v.plan.school_id == school.id)
                .map(|v| Practices::of(v, &educators, data))
                .collect();
            let ratio = |f: fn(&Practices) -> bool| Ratio {
                part: count(practices.iter().filter(|p| f(p)).count()),
                whole: count(practices.len()),
            };
            let spread = Spreads::of(data, school.id, &visited);
            let visited_students: u32 = spread.by_grade.values().map(|r| r.part).sum();
            let largest = spread.by_grade.values().map(|r| r.part).max().unwrap_or(0);
            Fidelity {
                school_id: school.id,
                school_name: school.name.clone(),
                in_pairs: ratio(|p| p.in_pair),
                agreement_before: ratio(|p| p.agreement_before),
                debriefed: ratio(|p| p.debriefed),
                trained_or_paired: ratio(|p| p.trained_or_paired),
                grades_reached: Ratio {
                    part: count(spread.by_grade.values().filter(|r| r.part > 0).count()),
                    whole: count(spread.by_grade.len()),
                },
                largest_grade_share_percent: Ratio { part: largest, whole: visited_students }.percent(),
                by_grade: spread
                    .by_grade
                    .into_iter()
                    .map(|(g, students)| Spread { label: g.label().into(), students })
                    .collect(),
                by_class: spread.by_class.into_iter().map(|(label, students)| Spread { label, students }).collect(),
            }
        })
        .collect()
}

/// A school's students visited ÷ enrolled per grade and per class.
struct Spreads {
    by_grade: BTreeMap<Grade, Ratio>,
    by_class: BTreeMap<String, Ratio>,
}

impl Spreads {
    fn of(data: &ReportData, school: SchoolId, visited: &BTreeSet<FamilyId>) -> Spreads {
        let mut spreads = Spreads { by_grade: BTreeMap::new(), by_class: BTreeMap::new() };
        for family in families_of(data, school) {
            let seen = u32::from(visited.contains(&family.id));
            for student in &family.students {
                add(spreads.by_grade.entry(student.grade).or_default(), seen);
                let classes: BTreeSet<&String> = student.classes.iter().collect();
                for class in classes {
                    add(spreads.by_class.entry(class.clone()).or_default(), seen);
                }
            }
        }
        spreads
    }
}

fn add(r: &mut Ratio, seen: u32) {
    r.part += seen;
    r.whole += 1;
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, at, period};

    fn one(data: &ReportData) -> Fidelity {
        fidelity(data, &period("2026-07-01", "2027-06-30")).remove(0)
    }

    #[test]
    fn an_untrained_educator_counts_with_a_trained_partner_not_alone() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let trained = r.educator(s, "Ana", Some("2026-09-10"));
        let untrained = r.educator(s, "Ben", None);
        let later = r.educator(s, "Cy", Some("2026-09-11"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[untrained, trained], "2026-09-10T16:00:00Z");
        r.completed(f, &[untrained, later], "2026-09-10T17:00:00Z");
        let alone = r.completed(f, &[untrained], "2026-09-10T18:00:00Z");
        r.with_separate_interpreter(alone);
        let got = one(&r.data);
        assert_eq!(
            got.trained_or_paired,
            Ratio { part: 1, whole: 3 },
            "training on the visit's day counts, the day after does not"
        );
        assert_eq!(got.in_pairs, Ratio { part: 3, whole: 3 }, "one educator with a separate interpreter is two adults");
    }

    #[test]
    fn one_educator_without_a_separate_interpreter_is_not_a_pair() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[a], "2026-09-10T16:00:00Z");
        assert_eq!(one(&r.data).in_pairs, Ratio { part: 0, whole: 1 });
    }

    #[test]
    fn agreement_recorded_after_the_start_does_not_count() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let late = r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        let log = r.log_mut(late);
        log.plan.family_agreement.as_mut().unwrap().agreed_at = at("2026-09-10T16:05:00Z");
        let on_time = r.completed(f, &[a, b], "2026-09-11T16:00:00Z");
        r.log_mut(on_time).plan.family_agreement.as_mut().unwrap().agreed_at = at("2026-09-11T16:00:00Z");
        let missing = r.completed(f, &[a, b], "2026-09-12T16:00:00Z");
        r.log_mut(missing).plan.family_agreement = None;
        assert_eq!(one(&r.data).agreement_before, Ratio { part: 1, whole: 3 });
    }

    #[test]
    fn debriefs_count_over_completed_visits_only() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let done = r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.completed(f, &[a, b], "2026-09-11T16:00:00Z");
        let cancelled = r.visit(f, &[a, b], VisitNumber::Second, VisitStatus::Cancelled, "2026-09-12T16:00:00Z");
        let outside = r.completed(f, &[a, b], "2027-07-01T16:00:00Z");
        r.data.debriefed.extend([done, cancelled, outside]);
        assert_eq!(one(&r.data).debriefed, Ratio { part: 1, whole: 2 });
    }

    #[test]
    fn spread_per_grade_and_class() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &["Room 1"]), (Grade::G3, &["Room 3", "Art"])]);
        r.family(s, "Lee", &[(Grade::G3, &["Room 3"])]);
        r.family(s, "Okafor", &[(Grade::G5, &["Art"])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        let got = one(&r.data);
        let grades: Vec<_> =
            got.by_grade.iter().map(|s| (s.label.as_str(), s.students.part, s.students.whole)).collect();
        assert_eq!(grades, [("K", 1, 1), ("3", 1, 2), ("5", 0, 1)]);
        let classes: Vec<_> =
            got.by_class.iter().map(|s| (s.label.as_str(), s.students.part, s.students.whole)).collect();
        assert_eq!(classes, [("Art", 1, 2), ("Room 1", 1, 1), ("Room 3", 1, 2)]);
        assert_eq!(got.grades_reached, Ratio { part: 2, whole: 3 });
        assert_eq!(got.largest_grade_share_percent, 50.0);
    }

    #[test]
    fn a_visit_outside_the_period_is_not_counted() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[a], "2026-06-30T23:59:59Z");
        let got = one(&r.data);
        assert_eq!(got.in_pairs, Ratio { part: 0, whole: 0 });
        assert_eq!(got.largest_grade_share_percent, 0.0);
    }
}
