//! Stipends per pay period: per educator, completed and partner-confirmed visits, whether their
//! training is valid, the amount at the district's rate, and the coordinator's "paid" mark.

use std::collections::BTreeSet;

use homevisit_model::{EducatorId, SchoolId};
use serde::Serialize;

use crate::select::{completed_in, visit_day};
use crate::{Period, ReportData};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StipendRow {
    pub educator_id: EducatorId,
    pub school_id: SchoolId,
    pub display_name: String,
    /// Completed visits scheduled in the period.
    pub completed: u32,
    /// Of those, documented: timed and confirmed by the partner (or, for a visit by one educator
    /// with an interpreter, the coordinator). What is paid.
    pub partner_confirmed: u32,
    /// Trained on or before every paid visit's day.
    pub training_valid: bool,
    /// `partner_confirmed` × the rate, in cents.
    pub amount_cents: u64,
    pub paid: bool,
}

/// One row per educator of the data's schools with a completed visit in the period, by school
/// (in `data.schools` order) then name. `paid`: the educators the coordinator marked paid for this
/// period. An educator with no documented visit has valid training when trained by the period's
/// last day.
pub fn stipends(data: &ReportData, period: &Period, rate_cents: u64, paid: &BTreeSet<EducatorId>) -> Vec<StipendRow> {
    let school_rank = |id: SchoolId| data.schools.iter().position(|s| s.id == id);
    let mut rows: Vec<(usize, StipendRow)> = data
        .educators
        .iter()
        .filter_map(|e| {
            let rank = school_rank(e.school_id)?;
            let completed: Vec<_> =
                completed_in(data, period).filter(|v| v.plan.educator_ids.contains(&e.id)).collect();
            if completed.is_empty() {
                return None;
            }
            let documented: Vec<_> = completed.iter().filter(|v| v.is_documented()).collect();
            let training_valid = if documented.is_empty() {
                e.is_trained_on(period.last_day())
            } else {
                documented.iter().all(|v| e.is_trained_on(visit_day(v)))
            };
            let partner_confirmed = crate::select::count(documented.len());
            Some((
                rank,
                StipendRow {
                    educator_id: e.id,
                    school_id: e.school_id,
                    display_name: e.display_name.clone(),
                    completed: crate::select::count(completed.len()),
                    partner_confirmed,
                    training_valid,
                    amount_cents: u64::from(partner_confirmed).saturating_mul(rate_cents),
                    paid: paid.contains(&e.id),
                },
            ))
        })
        .collect();
    rows.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb).then_with(|| a.display_name.cmp(&b.display_name)).then(a.educator_id.cmp(&b.educator_id))
    });
    rows.into_iter().map(|(_, row)| row).collect()
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, period};

    #[test]
    fn rows_amounts_training_and_the_paid_mark() {
        let mut r = Roster::default();
        let adams = r.school("Adams");
        let lincoln = r.school("Lincoln");
        let zoe = r.educator(adams, "Zoe", Some("2026-08-01"));
        let ana = r.educator(lincoln, "Ana", Some("2026-08-01"));
        let ben = r.educator(lincoln, "Ben", Some("2026-09-15"));
        r.educator(lincoln, "Idle", Some("2026-08-01"));
        let other_district = r.educator(lincoln, "Gone", Some("2026-08-01"));
        r.data.educators.last_mut().unwrap().school_id = SchoolId::new();
        let fa = r.family(adams, "Garcia", &[(Grade::K, &[])]);
        let fl = r.family(lincoln, "Lee", &[(Grade::K, &[])]);
        r.completed(fl, &[ana, ben], "2026-09-10T16:00:00Z");
        r.completed(fl, &[ben, ana], "2026-09-20T16:00:00Z");
        let unconfirmed = r.completed(fl, &[ana, ben], "2026-09-21T16:00:00Z");
        r.log_mut(unconfirmed).outcome.partner_confirmation = None;
        r.visit(fl, &[ana, ben], VisitNumber::Second, VisitStatus::Cancelled, "2026-09-22T16:00:00Z");
        r.completed(fl, &[ana, ben], "2026-10-01T00:00:00Z");
        r.completed(fa, &[zoe, other_district], "2026-09-10T16:00:00Z");
        let paid = BTreeSet::from([ana]);
        let got = stipends(&r.data, &period("2026-09-01", "2026-09-30"), 4000, &paid);
        let rows: Vec<_> = got
            .iter()
            .map(|s| (s.educator_id, s.completed, s.partner_confirmed, s.training_valid, s.amount_cents, s.paid))
            .collect();
        assert_eq!(
            rows,
            [(zoe, 1, 1, true, 4000, false), (ana, 3, 2, true, 8000, true), (ben, 3, 2, false, 8000, false),]
        );
    }
}
