//! Records a coordinator can pay from: who recorded a visit's outcome, who recorded the family's
//! agreement and who confirmed the visit must be the educators of the devices that wrote them.
//!
//! The relay keeps, per visit, every value these three fields were given and which device gave it
//! when (`visit_attestations`, written in the same transaction as the document). A received visit
//! log is compared with the *relay's* latest recorded values, never with what the document says
//! it was: a field whose value changed must name the educator of the writing device
//! ([`crate::access::Role::Educator`]); clearing a field (the phone clears a confirmation when the
//! outcome changes) is recorded but needs no particular device. Since the confirmation must differ
//! from the recorder (the model's validation) and must name the writing device's educator, it
//! always comes from the partner's own device.
//!
//! Values that reached the relay otherwise are attested by their source: an administrator's import
//! (`import`), or, for a visit stored before the relay kept attestations, the values it held then
//! (`before-attestation`, recorded the first time such a visit changes).

use homevisit_docs::Content;
use homevisit_model::{EducatorId, VisitLog};
use homevisit_sync::DocFailure;

use crate::access::Role;
pub use crate::attestation::{Attestation, Attested, BEFORE, IMPORT, Source};
pub(crate) use crate::attestation::{Effect, relay_now, source_name};
use crate::backend::Records;

/// Judges the attested fields of a received visit log written by a device of `role`: `Ok(None)`
/// refuses it; `Ok(Some(effects))` accepts it, with what to record.
pub(crate) fn judge_visit_log(
    log: &VisitLog,
    is_new: bool,
    role: &Role,
    records: &mut dyn Records,
) -> Result<Option<Vec<Effect>>, DocFailure> {
    let visit = log.plan.id;
    // The coordinator's confirmation is the coordinator's to give: an educator's device keeps it
    // as the relay holds it (or clears it with the outcome), never sets or changes it.
    if log.outcome.coordinator_confirmation.is_some() {
        let stored = records.stored_visit_log(visit)?;
        if stored.map(|s| s.outcome.coordinator_confirmation) != Some(log.outcome.coordinator_confirmation.clone()) {
            return Ok(None);
        }
    }
    let mut effects = Vec::new();
    let recorded: [Option<EducatorId>; 3] = match records.attested(visit)? {
        Some(latest) => latest,
        // New here: nothing was attested before; every field gets a row, so the visit has some.
        None if is_new => [None; 3],
        // Stored before the relay kept attestations: what it held then is the baseline.
        None => {
            let before = records.stored_visit_log(visit)?;
            let values = Attested::ALL.map(|what| before.as_ref().and_then(|b| what.value(b)));
            for (what, educator) in Attested::ALL.into_iter().zip(values) {
                effects.push(Effect::Attest { visit, what, educator, source: Source::Before });
            }
            values
        }
    };
    for (what, old) in Attested::ALL.into_iter().zip(recorded) {
        let new = what.value(log);
        if new == old && !is_new {
            continue;
        }
        if let Some(named) = new
            && new != old
            && role.educator() != Some(named)
        {
            return Ok(None);
        }
        effects.push(Effect::Attest { visit, what, educator: new, source: Source::Device });
    }
    Ok(Some(effects))
}

/// A stored visit log's checked content, or `None` if it cannot be read (then nothing it held
/// counts as attested).
pub(crate) fn checked_visit_log(id: &homevisit_docs::DocId, bytes: &[u8]) -> Option<VisitLog> {
    let doc = homevisit_docs::load(bytes).ok()?;
    match homevisit_docs::check(id, &doc).ok()? {
        Content::VisitLog(log) => Some(log),
        _ => None,
    }
}

/// A coordinator's (or district administrator's) device reads a visit log and may change one thing
/// in it: confirm a completed visit made by one educator with an interpreter
/// (`VisitOutcome::coordinator_confirmation`). The received log must equal the relay's stored one
/// but for that confirmation, newly set. `None` refuses it.
pub(crate) fn judge_coordinator_confirmation(
    log: &VisitLog,
    records: &mut dyn Records,
) -> Result<Option<Vec<Effect>>, DocFailure> {
    let Some(stored) = records.stored_visit_log(log.plan.id)? else { return Ok(None) };
    let confirmation = &log.outcome.coordinator_confirmation;
    if confirmation.is_none() || *confirmation == stored.outcome.coordinator_confirmation {
        return Ok(None);
    }
    let mut rest = log.clone();
    rest.outcome.coordinator_confirmation = stored.outcome.coordinator_confirmation.clone();
    if rest != stored || !log.plan.confirmed_by_coordinator() {
        return Ok(None);
    }
    let visit = log.plan.id;
    Ok(Some(vec![Effect::Attest {
        visit,
        what: Attested::CoordinatorConfirmation,
        educator: None,
        source: Source::Device,
    }]))
}

/// What an administrator's import of `content` attests: every field of a visit log, as imported
/// (the administrator may write anything; the record says it came from the import).
pub(crate) fn import_effects(content: &Content) -> Vec<Effect> {
    let log = match content {
        Content::VisitLog(log) => log,
        Content::Family(family) => {
            // An imported renewal lifts the declines it lists (the administrator's word).
            return family
                .agreement_renewed
                .iter()
                .map(|r| Effect::Lift { family: family.id, visits: r.lifts.clone() })
                .collect();
        }
        _ => return Vec::new(),
    };
    let visit = log.plan.id;
    let mut effects: Vec<Effect> = Attested::ALL
        .into_iter()
        .map(|what| Effect::Attest { visit, what, educator: what.value(log), source: Source::Import })
        .collect();
    if log.outcome.status == homevisit_model::VisitStatus::FamilyDeclined {
        effects.push(Effect::Decline { family: log.plan.family_id, visit });
    }
    effects
}

#[cfg(test)]
mod tests {
    use homevisit_model::{FamilyAgreement, PartnerConfirmation, Timestamp, VisitOutcome, VisitPlan, VisitStatus};

    use super::*;

    /// Records holding `attested` for the visit (and a stored log for the baseline case).
    use crate::backend::HeldRecords as Held;

    fn completed(recorder: EducatorId, partner: EducatorId) -> VisitLog {
        let data = homevisit_fixtures::demo::data_set(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            chrono::FixedOffset::west_opt(8 * 3600).unwrap(),
        );
        let mut log = data.visits[0].0.clone();
        log.plan.educator_ids = vec![recorder, partner];
        log.plan.family_agreement = Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: recorder });
        log.outcome.status = VisitStatus::Completed;
        log.outcome.recorded_by = Some(recorder);
        log.outcome.partner_confirmation =
            Some(PartnerConfirmation { educator_id: partner, confirmed_at: Timestamp::now() });
        log
    }

    fn judge(log: &VisitLog, is_new: bool, role: Role, held: &mut Held) -> Option<Vec<Effect>> {
        judge_visit_log(log, is_new, &role, held).unwrap()
    }

    #[test]
    fn a_changed_field_must_name_the_writing_devices_educator() {
        let (a, b, c) = (EducatorId::new(), EducatorId::new(), EducatorId::new());
        let log = completed(a, b);
        // A's device recorded outcome and agreement; the confirmation is B's to give.
        let mut held = Held { attested: Some([Some(a), Some(a), None]), ..Held::default() };
        assert_eq!(judge(&log, false, Role::Educator(a), &mut held), None, "the recorder confirming");
        assert_eq!(judge(&log, false, Role::Educator(c), &mut held), None, "a third educator confirming");
        assert_eq!(judge(&log, false, Role::SchoolCoordinator, &mut held), None);
        let accepted = judge(&log, false, Role::Educator(b), &mut held).unwrap();
        let confirmation = Effect::Attest {
            visit: log.plan.id,
            what: Attested::PartnerConfirmation,
            educator: Some(b),
            source: Source::Device,
        };
        assert_eq!(accepted, vec![confirmation]);
        // Unchanged values need nobody in particular: B's later edits keep A's recorded fields.
        let mut held = Held { attested: Some([Some(a), Some(a), Some(b)]), ..Held::default() };
        assert_eq!(judge(&log, false, Role::Educator(b), &mut held), Some(vec![]));
    }

    #[test]
    fn a_recorder_naming_someone_else_is_refused_and_clearing_is_recorded() {
        let (a, b) = (EducatorId::new(), EducatorId::new());
        let mut log = completed(a, b);
        log.outcome.partner_confirmation = None;
        let mut held = Held::default();
        assert_eq!(judge(&log, true, Role::Educator(b), &mut held), None, "B's device writing A as recorder");
        let created = judge(&log, true, Role::Educator(a), &mut held).unwrap();
        assert_eq!(created.len(), 3, "a new visit gets a row for every field: {created:?}");
        let mut held = Held { attested: Some([Some(a), Some(a), Some(b)]), ..Held::default() };
        let cleared = judge(&log, false, Role::Educator(a), &mut held).unwrap();
        assert_eq!(
            cleared,
            vec![Effect::Attest {
                visit: log.plan.id,
                what: Attested::PartnerConfirmation,
                educator: None,
                source: Source::Device
            }]
        );
    }

    #[test]
    fn a_coordinator_confirms_a_visit_by_one_educator_and_changes_nothing_else() {
        let (a, b) = (EducatorId::new(), EducatorId::new());
        let mut alone = completed(a, b);
        alone.plan.educator_ids = vec![a];
        alone.outcome.partner_confirmation = None;
        let confirmation = Some(homevisit_model::CoordinatorConfirmation { confirmed_at: Timestamp::now() });
        let confirmed = VisitLog {
            outcome: VisitOutcome { coordinator_confirmation: confirmation.clone(), ..alone.outcome.clone() },
            ..alone.clone()
        };
        let mut held =
            Held { attested: Some([Some(a), Some(a), None]), stored: Some(alone.clone()), ..Held::default() };
        let effects = judge_coordinator_confirmation(&confirmed, &mut held).unwrap().unwrap();
        assert!(matches!(
            effects[..],
            [Effect::Attest { what: Attested::CoordinatorConfirmation, educator: None, .. }]
        ));
        // Anything else changed with it: refused.
        let mut more = confirmed.clone();
        more.outcome.ended_at = Timestamp::parse_rfc3339("2026-11-22T23:00:00Z");
        assert_eq!(judge_coordinator_confirmation(&more, &mut held).unwrap(), None);
        // Nothing new (or a visit the relay does not have): refused.
        assert_eq!(judge_coordinator_confirmation(&alone, &mut held).unwrap(), None);
        assert_eq!(judge_coordinator_confirmation(&confirmed, &mut Held::default()).unwrap(), None);
        // A pair's visit is the pair's to confirm.
        let pair =
            VisitLog { plan: VisitPlan { educator_ids: vec![a, b], ..confirmed.plan.clone() }, ..confirmed.clone() };
        let mut held_pair = Held {
            attested: None,
            stored: Some(VisitLog { outcome: alone.outcome.clone(), ..pair.clone() }),
            ..Held::default()
        };
        assert_eq!(judge_coordinator_confirmation(&pair, &mut held_pair).unwrap(), None);
        // The educator's device cannot set it, and keeps it once the relay holds it.
        assert_eq!(judge(&confirmed, false, Role::Educator(a), &mut held), None);
        let mut held_confirmed =
            Held { attested: Some([Some(a), Some(a), None]), stored: Some(confirmed.clone()), ..Held::default() };
        assert_eq!(judge(&confirmed, false, Role::Educator(a), &mut held_confirmed), Some(vec![]));
    }

    #[test]
    fn a_visit_stored_before_attestations_is_judged_against_what_it_held() {
        let (a, b) = (EducatorId::new(), EducatorId::new());
        let log = completed(a, b);
        let mut held = Held { attested: None, stored: Some(log.clone()), ..Held::default() };
        let effects = judge(&log, false, Role::Educator(a), &mut held).unwrap();
        assert!(effects.iter().all(|e| matches!(e, Effect::Attest { source: Source::Before, .. })), "{effects:?}");
        let mut unconfirmed = log.clone();
        unconfirmed.outcome.partner_confirmation = None;
        let mut held = Held { attested: None, stored: Some(unconfirmed), ..Held::default() };
        assert_eq!(judge(&log, false, Role::Educator(a), &mut held), None);
    }
}
