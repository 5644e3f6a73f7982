//! The family's "no" (core practice 1: visits are voluntary). A decline is a visit whose status is
//! [`VisitStatus::FamilyDeclined`], recorded by an educator's phone (offline if need be); a family
//! with a decline no coordinator has lifted ([`Family::has_declined`]) is not planned again.

use homevisit_model::{
    AgreementRenewal, EducatorId, Family, FamilyId, Timestamp, ValidationError, VisitId, VisitOutcome, VisitStatus,
};

use crate::{Result, Store, StoreError};

impl Store {
    /// The visits of `family` recorded as declined on this device.
    pub fn declined_visits(&self, family: FamilyId) -> Result<Vec<VisitId>> {
        Ok(self
            .visits_for_family(family)?
            .into_iter()
            .filter(|v| v.status == VisitStatus::FamilyDeclined)
            .map(|v| v.visit_id)
            .collect())
    }

    /// Whether `family`'s "no" stands on this device (a decline not lifted by a coordinator's
    /// renewed agreement). A family whose record has not reached the device has no renewal.
    pub fn family_declined(&mut self, family: FamilyId) -> Result<bool> {
        let declined = self.declined_visits(family)?;
        if declined.is_empty() {
            return Ok(false);
        }
        match self.family(family) {
            Ok(f) => Ok(f.has_declined(&declined)),
            Err(StoreError::NotFound(_)) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Families known on this device that may be offered for planning: (id, school, display
    /// name), by name, without those whose "no" stands.
    pub fn families_for_planning(&mut self) -> Result<Vec<(FamilyId, homevisit_model::SchoolId, String)>> {
        let mut out = Vec::new();
        for f in self.families()? {
            if !self.family_declined(f.0)? {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// Refuses to plan for a family whose "no" stands.
    pub(crate) fn check_not_declined(&mut self, family: FamilyId) -> Result<()> {
        if self.family_declined(family)? {
            return Err(StoreError::Invalid(ValidationError::FamilyDeclined(family)));
        }
        Ok(())
    }

    /// The family declined this visit, or withdrew: recorded by `by` (an educator on the visit),
    /// on the visit's outcome. The family is not planned again until a coordinator records its
    /// renewed agreement ([`Store::renew_family_agreement`]).
    pub fn record_family_decline(&mut self, visit: VisitId, by: EducatorId) -> Result<()> {
        let log = self.visit_log(visit)?;
        if !log.plan.educator_ids.contains(&by) {
            return Err(StoreError::Invalid(ValidationError::NotOnVisit(by)));
        }
        let outcome =
            VisitOutcome { status: VisitStatus::FamilyDeclined, recorded_by: Some(by), ..VisitOutcome::planned() };
        self.record_outcome(visit, &outcome)
    }

    /// A coordinator records that the family agreed again: it lifts every decline this device
    /// holds for the family (the relay accepts this change only from a coordinator's device).
    pub fn renew_family_agreement(&mut self, family: FamilyId, at: Timestamp) -> Result<()> {
        let lifts = self.declined_visits(family)?;
        let current: Family = self.family(family)?;
        let renewed = Family { agreement_renewed: Some(AgreementRenewal { agreed_at: at, lifts }), ..current };
        homevisit_model::validate::validate_family(&renewed)?;
        self.put_family(&renewed)
    }
}
