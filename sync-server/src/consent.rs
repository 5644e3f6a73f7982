//! The family's "no" sticks (core practice 1: visits are voluntary), decided from the relay's own
//! records (`family_declines`), never from what a document says.
//!
//! - A visit log stored with status `family_declined` records a decline of its family (the first
//!   time that visit is seen declined; by the device that wrote it, relay time).
//! - While a family has a decline no coordinator has lifted, no visit log new to it is accepted (a
//!   new visit, or a stored one moved to it from the family the relay recorded for it), and a
//!   declined visit's status cannot be changed away from `family_declined`, nor the visit moved
//!   off its family (which would take the family's "no" off its record).
//! - A family's renewed agreement (`Family::agreement_renewed`) lifts the declines it lists; only
//!   a school coordinator's or district administrator's device may make it lift one (an
//!   educator's device that writes the family record otherwise is unaffected).

use homevisit_model::{Family, VisitLog, VisitStatus};
use homevisit_sync::DocFailure;

use crate::access::Role;
use crate::attest::Effect;
use crate::backend::Records;

/// Judges a received visit log against its family's declines: `None` refuses it.
pub(crate) fn judge_visit_log(log: &VisitLog, records: &mut dyn Records) -> Result<Option<Vec<Effect>>, DocFailure> {
    let (family, visit) = (log.plan.family_id, log.plan.id);
    // The family the relay holds the visit under: never the log's word, which is what a device
    // moving the visit rewrites.
    let recorded = records.visit_family(visit)?;
    if let Some(before) = recorded.filter(|f| *f != family)
        && records.open_declines(before)?.contains(&visit)
    {
        return Ok(None); // a declined visit moved off its family
    }
    let open = records.open_declines(family)?;
    let declined_here = log.outcome.status == VisitStatus::FamilyDeclined;
    // New to the family: a new visit, or a stored one moved here from another family.
    let new_to_family = recorded != Some(family);
    if new_to_family && !open.is_empty() && !declined_here {
        return Ok(None);
    }
    if open.contains(&visit) && !declined_here {
        return Ok(None);
    }
    Ok(Some(if declined_here && !open.contains(&visit) { vec![Effect::Decline { family, visit }] } else { vec![] }))
}

/// Judges a received family record written by a device of `role`: `None` refuses it.
pub(crate) fn judge_family(
    family: &Family,
    role: &Role,
    records: &mut dyn Records,
) -> Result<Option<Vec<Effect>>, DocFailure> {
    let Some(renewal) = &family.agreement_renewed else { return Ok(Some(vec![])) };
    let open = records.open_declines(family.id)?;
    let lifts: Vec<_> = open.iter().filter(|v| renewal.lifts.contains(v)).copied().collect();
    if lifts.is_empty() {
        return Ok(Some(vec![]));
    }
    match role {
        Role::SchoolCoordinator | Role::DistrictAdmin => {
            Ok(Some(vec![Effect::Lift { family: family.id, visits: lifts }]))
        }
        Role::Educator(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use homevisit_model::{AgreementRenewal, EducatorId, FamilyId, Timestamp, VisitId};

    use super::*;

    use crate::backend::HeldRecords;

    /// Records holding open declines (family, visit), and the family the relay recorded for the
    /// visit being judged (`None`: the relay does not hold the visit).
    fn held(declines: &[(FamilyId, VisitId)], family: Option<FamilyId>) -> HeldRecords {
        HeldRecords { declines: declines.to_vec(), family, ..HeldRecords::default() }
    }

    fn data() -> homevisit_fixtures::DataSet {
        homevisit_fixtures::demo::data_set(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
        )
    }

    #[test]
    fn a_declined_family_gets_no_new_visit_and_its_no_stays() {
        let log = data().visits[0].0.clone();
        let (family, declined) = (log.plan.family_id, VisitId::new());
        let stored_here = Some(family);
        let judge = |records: &mut HeldRecords| judge_visit_log(&log, records).unwrap();
        assert_eq!(judge(&mut held(&[], None)), Some(vec![]));
        assert_eq!(judge(&mut held(&[(family, declined)], None)), None, "a new visit for a declined family");
        assert_eq!(judge(&mut held(&[(family, declined)], stored_here)), Some(vec![]), "an earlier visit is edited");
        assert_eq!(judge(&mut held(&[(family, log.plan.id)], stored_here)), None, "un-declining a visit");
        let mut no = log.clone();
        no.outcome.status = VisitStatus::FamilyDeclined;
        let recorded = judge_visit_log(&no, &mut held(&[], stored_here)).unwrap().unwrap();
        assert_eq!(recorded, vec![Effect::Decline { family, visit: log.plan.id }]);
    }

    #[test]
    fn a_visit_moved_to_a_declined_family_is_judged_new_to_it() {
        let log = data().visits[0].0.clone();
        let family = log.plan.family_id;
        // The relay holds the visit under another family; the received log names this one.
        let elsewhere = Some(FamilyId::new());
        let judge = |records: &mut HeldRecords| judge_visit_log(&log, records).unwrap();
        assert_eq!(judge(&mut held(&[(family, VisitId::new())], elsewhere)), None, "moved to a declined family");
        assert_eq!(judge(&mut held(&[], elsewhere)), Some(vec![]), "moved to a family with no open decline");
        // Moved there as declined, it records the decline, as a new declined visit would.
        let mut no = log.clone();
        no.outcome.status = VisitStatus::FamilyDeclined;
        let recorded = judge_visit_log(&no, &mut held(&[(family, VisitId::new())], elsewhere)).unwrap().unwrap();
        assert_eq!(recorded, vec![Effect::Decline { family, visit: log.plan.id }]);
    }

    #[test]
    fn a_declined_visit_is_not_moved_off_its_family() {
        let mut log = data().visits[0].0.clone();
        // The relay holds the visit, declined, under the family it was declined by.
        let before = FamilyId::new();
        let mut records = held(&[(before, log.plan.id)], Some(before));
        assert_eq!(judge_visit_log(&log, &mut records).unwrap(), None, "moved off and un-declined");
        log.outcome.status = VisitStatus::FamilyDeclined;
        assert_eq!(judge_visit_log(&log, &mut records).unwrap(), None, "moved off, still declined");
        // Once a coordinator lifted the decline, the visit is an ordinary visit again.
        log.outcome.status = VisitStatus::Planned;
        assert_eq!(judge_visit_log(&log, &mut held(&[], Some(before))).unwrap(), Some(vec![]));
    }

    #[test]
    fn only_a_coordinator_lifts_a_decline() {
        let mut family = data().families[0].clone();
        let declined = VisitId::new();
        let mut open = held(&[(family.id, declined)], None);
        let educator = Role::Educator(EducatorId::new());
        assert_eq!(judge_family(&family, &educator, &mut open).unwrap(), Some(vec![]), "no renewal: any edit");
        family.agreement_renewed = Some(AgreementRenewal { agreed_at: Timestamp::now(), lifts: vec![declined] });
        assert_eq!(judge_family(&family, &educator, &mut open).unwrap(), None);
        let lifted = judge_family(&family, &Role::SchoolCoordinator, &mut open).unwrap().unwrap();
        assert_eq!(lifted, vec![Effect::Lift { family: family.id, visits: vec![declined] }]);
        // Once lifted, the family record is an ordinary record again for educators.
        assert_eq!(judge_family(&family, &educator, &mut held(&[], None)).unwrap(), Some(vec![]));
    }
}
