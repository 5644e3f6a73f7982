//! The rules of the model, as checks with typed errors. Errors name fields and ids, never a
//! person's name or a note's text, so they are safe to log.

use thiserror::Error;

use crate::ids::EducatorId;
use crate::language::Language;
use crate::prompts::PromptPack;
use crate::roster::{Educator, Family, School};
use crate::visit::{Place, VisitOutcome, VisitPlan, VisitStatus};

/// Longest short text (names, titles, place descriptions), in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Longest prompt of a pack, in characters.
pub const MAX_PROMPT_TEXT: usize = 4 * MAX_SHORT_TEXT;
/// Most classes recorded for one student (a secondary student has six or eight).
pub const MAX_STUDENT_CLASSES: usize = 20;
/// Most prompts in one pack. A pack is shown on every phone of the district, so its size is
/// bounded as a whole: at most 40 x 800 characters (the built-in packs have 6-8 prompts).
pub const MAX_PROMPTS: usize = 40;
/// Most declined visits one renewed agreement lifts (a family declines a handful a year at most).
pub const MAX_LIFTED_DECLINES: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("a visit needs at least two adults (this plan has {adults})")]
    TooFewAdults { adults: usize },
    #[error("a visit has at most three adults (this plan has {adults})")]
    TooManyAdults { adults: usize },
    #[error("a visit needs at least one educator")]
    NoEducator,
    #[error("educator {0} is listed twice on the visit")]
    DuplicateEducator(EducatorId),
    #[error("educator {0} is not known on this device")]
    UnknownEducator(EducatorId),
    #[error("educator {0} is not yet trained and needs a trained partner on the visit")]
    UntrainedWithoutTrainedPartner(EducatorId),
    #[error("the visit's end is before its start")]
    EndBeforeStart,
    #[error("a {status} visit needs a start and an end time")]
    MissingTimes { status: &'static str },
    #[error("a neutral place needs a short description (park, library, ...)")]
    NeutralPlaceNeedsDescription,
    #[error("the field `{field}` must not be empty")]
    Empty { field: &'static str },
    #[error("the field `{field}` is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("the field `{field}` has more than {max} entries")]
    TooMany { field: &'static str, max: usize },
    #[error("the field `{field}` is not well-formed")]
    Malformed { field: &'static str },
    #[error("educator {0} is not on this visit")]
    NotOnVisit(EducatorId),
    #[error("the partner's confirmation must come from the other educator, not the one who recorded the outcome")]
    SelfConfirmation,
    #[error("only a completed visit can be confirmed by the partner")]
    ConfirmationBeforeCompletion,
    #[error("the expected end of the visit is before its scheduled start")]
    ExpectedEndBeforeStart,
    #[error("a {status} visit needs the family's agreement recorded first (visits are voluntary)")]
    NoFamilyAgreement { status: &'static str },
    #[error("the partner's confirmation needs the outcome's recorder (who the partner confirms)")]
    ConfirmationWithoutRecorder,
    #[error("a coordinator confirms only a visit made by one educator (with an interpreter); a pair confirms its own")]
    CoordinatorConfirmsOnlyAVisitWithoutPartner,
    #[error("family {0} declined visits; a coordinator records its renewed agreement before a new visit is planned")]
    FamilyDeclined(crate::FamilyId),
}

fn short_text(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value.chars().count() > MAX_SHORT_TEXT {
        return Err(ValidationError::TooLong { field, max: MAX_SHORT_TEXT });
    }
    Ok(())
}

pub fn validate_school(school: &School) -> Result<(), ValidationError> {
    short_text("name", &school.name)
}

pub fn validate_educator(educator: &Educator) -> Result<(), ValidationError> {
    short_text("display_name", &educator.display_name)
}

pub fn validate_family(family: &Family) -> Result<(), ValidationError> {
    short_text("display_name", &family.display_name)?;
    for s in &family.students {
        short_text("students.first_name", &s.first_name)?;
        if s.classes.len() > MAX_STUDENT_CLASSES {
            return Err(ValidationError::TooMany { field: "students.classes", max: MAX_STUDENT_CLASSES });
        }
        for c in &s.classes {
            short_text("students.classes", c)?;
        }
    }
    if let Some(c) = &family.contact
        && c.rhythm.chars().count() > MAX_SHORT_TEXT
    {
        return Err(ValidationError::TooLong { field: "contact.rhythm", max: MAX_SHORT_TEXT });
    }
    if let Some(r) = &family.agreement_renewed
        && r.lifts.len() > MAX_LIFTED_DECLINES
    {
        return Err(ValidationError::TooMany { field: "agreement_renewed.lifts", max: MAX_LIFTED_DECLINES });
    }
    Ok(())
}

/// A pack: a well-formed language tag (a record deserialized from JSON did not go through
/// [`Language::parse`]), a title, 1 to [`MAX_PROMPTS`] prompts of bounded length, a reviewer's
/// short name if reviewed, and a note of at most [`MAX_PROMPT_TEXT`] characters.
pub fn validate_prompt_pack(pack: &PromptPack) -> Result<(), ValidationError> {
    if Language::parse(pack.language.as_str()).as_ref() != Some(&pack.language) {
        return Err(ValidationError::Malformed { field: "language" });
    }
    short_text("title", &pack.title)?;
    if pack.prompts.is_empty() {
        return Err(ValidationError::Empty { field: "prompts" });
    }
    if pack.prompts.len() > MAX_PROMPTS {
        return Err(ValidationError::TooMany { field: "prompts", max: MAX_PROMPTS });
    }
    for p in &pack.prompts {
        if p.trim().is_empty() {
            return Err(ValidationError::Empty { field: "prompts" });
        }
        if p.chars().count() > MAX_PROMPT_TEXT {
            return Err(ValidationError::TooLong { field: "prompts", max: MAX_PROMPT_TEXT });
        }
    }
    if let Some(review) = &pack.reviewed {
        short_text("reviewed.by", &review.by)?;
    }
    if let Some(note) = &pack.note
        && note.chars().count() > MAX_PROMPT_TEXT
    {
        return Err(ValidationError::TooLong { field: "note", max: MAX_PROMPT_TEXT });
    }
    Ok(())
}

/// Checks a plan against the rules of the model. `roster` must hold every educator on the plan
/// (the device's known educators); their training dates decide who may go with whom.
pub fn validate_plan(plan: &VisitPlan, roster: &[Educator]) -> Result<(), ValidationError> {
    validate_plan_shape(plan)?;
    let visit_day = plan.scheduled_at.day_utc();
    let educators = plan
        .educator_ids
        .iter()
        .map(|id| roster.iter().find(|e| e.id == *id).ok_or(ValidationError::UnknownEducator(*id)))
        .collect::<Result<Vec<_>, _>>()?;
    for e in &educators {
        let has_trained_partner = educators.iter().any(|p| p.id != e.id && p.is_trained_on(visit_day));
        if !e.is_trained_on(visit_day) && !has_trained_partner {
            return Err(ValidationError::UntrainedWithoutTrainedPartner(e.id));
        }
    }
    Ok(())
}

/// The rules a plan must meet on its own, without the roster: who and how many go, where, when.
/// Every stored visit log meets them, whoever wrote it (a document from a peer included).
pub fn validate_plan_shape(plan: &VisitPlan) -> Result<(), ValidationError> {
    if plan.educator_ids.is_empty() {
        return Err(ValidationError::NoEducator);
    }
    for (i, id) in plan.educator_ids.iter().enumerate() {
        if plan.educator_ids[..i].contains(id) {
            return Err(ValidationError::DuplicateEducator(*id));
        }
    }
    let adults = plan.adults();
    if adults < 2 {
        return Err(ValidationError::TooFewAdults { adults });
    }
    if adults > 3 {
        return Err(ValidationError::TooManyAdults { adults });
    }
    if let Place::Neutral { description } = &plan.place {
        if description.trim().is_empty() {
            return Err(ValidationError::NeutralPlaceNeedsDescription);
        }
        short_text("place.description", description)?;
    }
    if plan.expected_end.is_some_and(|end| end < plan.scheduled_at) {
        return Err(ValidationError::ExpectedEndBeforeStart);
    }
    Ok(())
}

/// Checks an outcome against its plan: times in order, completed visits timed, the family's
/// agreement recorded before a visit is confirmed or completed, and the partner's confirmation
/// coming from the other educator on a completed visit whose recorder is known.
pub fn validate_outcome(plan: &VisitPlan, outcome: &VisitOutcome) -> Result<(), ValidationError> {
    if let (Some(start), Some(end)) = (outcome.started_at, outcome.ended_at)
        && end < start
    {
        return Err(ValidationError::EndBeforeStart);
    }
    if outcome.status == VisitStatus::Completed && (outcome.started_at.is_none() || outcome.ended_at.is_none()) {
        return Err(ValidationError::MissingTimes { status: "completed" });
    }
    let confirmed = outcome.partner_confirmation.is_some() || outcome.coordinator_confirmation.is_some();
    if plan.family_agreement.is_none() && (outcome.status.needs_family_agreement() || confirmed) {
        return Err(ValidationError::NoFamilyAgreement { status: outcome.status.as_str() });
    }
    if let Some(by) = outcome.recorded_by
        && !plan.educator_ids.contains(&by)
    {
        return Err(ValidationError::NotOnVisit(by));
    }
    if outcome.coordinator_confirmation.is_some() {
        if outcome.status != VisitStatus::Completed {
            return Err(ValidationError::ConfirmationBeforeCompletion);
        }
        if !plan.confirmed_by_coordinator() {
            return Err(ValidationError::CoordinatorConfirmsOnlyAVisitWithoutPartner);
        }
    }
    if let Some(c) = &outcome.partner_confirmation {
        if outcome.status != VisitStatus::Completed {
            return Err(ValidationError::ConfirmationBeforeCompletion);
        }
        if !plan.educator_ids.contains(&c.educator_id) {
            return Err(ValidationError::NotOnVisit(c.educator_id));
        }
        match outcome.recorded_by {
            None => return Err(ValidationError::ConfirmationWithoutRecorder),
            Some(by) if by == c.educator_id => return Err(ValidationError::SelfConfirmation),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use crate::roster::{AgreementRenewal, EducatorRole};
    use crate::time::{Day, Timestamp};
    use crate::visit::*;

    fn educator(trained: Option<&str>) -> Educator {
        Educator {
            id: EducatorId::new(),
            school_id: SchoolId::new(),
            display_name: "E".into(),
            role: EducatorRole::Teacher,
            training_date: trained.and_then(Day::parse),
        }
    }

    fn plan(educators: &[&Educator]) -> VisitPlan {
        VisitPlan {
            id: VisitId::new(),
            family_id: FamilyId::new(),
            school_id: SchoolId::new(),
            visit_number: VisitNumber::First,
            educator_ids: educators.iter().map(|e| e.id).collect(),
            interpreter: None,
            place: Place::Home,
            scheduled_at: Timestamp::parse_rfc3339("2026-09-14T16:30:00Z").unwrap(),
            family_agreement: None,
            expected_end: None,
        }
    }

    #[test]
    fn a_trained_pair_is_valid() {
        let (a, b) = (educator(Some("2026-06-01")), educator(Some("2026-06-01")));
        assert_eq!(validate_plan(&plan(&[&a, &b]), &[a.clone(), b.clone()]), Ok(()));
    }

    #[test]
    fn one_adult_is_too_few_but_a_separate_interpreter_counts() {
        let a = educator(Some("2026-06-01"));
        let mut p = plan(&[&a]);
        assert_eq!(validate_plan(&p, std::slice::from_ref(&a)), Err(ValidationError::TooFewAdults { adults: 1 }));
        p.interpreter = Some(Interpreter { language: Language::spanish(), kind: InterpreterKind::Separate });
        assert_eq!(validate_plan(&p, std::slice::from_ref(&a)), Ok(()));
        p.interpreter = Some(Interpreter { language: Language::spanish(), kind: InterpreterKind::Educator });
        assert_eq!(validate_plan(&p, &[a]), Err(ValidationError::TooFewAdults { adults: 1 }));
    }

    #[test]
    fn four_adults_are_too_many() {
        let es: Vec<_> = (0..3).map(|_| educator(Some("2026-06-01"))).collect();
        let mut p = plan(&es.iter().collect::<Vec<_>>());
        assert_eq!(validate_plan(&p, &es), Ok(()));
        p.interpreter = Some(Interpreter { language: Language::spanish(), kind: InterpreterKind::Separate });
        assert_eq!(validate_plan(&p, &es), Err(ValidationError::TooManyAdults { adults: 4 }));
    }

    #[test]
    fn untrained_educator_needs_a_trained_partner() {
        let trained = educator(Some("2026-06-01"));
        let untrained = educator(None);
        let later = educator(Some("2026-12-01")); // trained only after the visit
        let both_untrained = plan(&[&untrained, &later]);
        assert_eq!(
            validate_plan(&both_untrained, &[untrained.clone(), later.clone()]),
            Err(ValidationError::UntrainedWithoutTrainedPartner(untrained.id))
        );
        let ok = plan(&[&untrained, &trained]);
        assert_eq!(validate_plan(&ok, &[untrained, trained]), Ok(()));
    }

    #[test]
    fn duplicate_and_unknown_educators_are_rejected() {
        let a = educator(Some("2026-06-01"));
        assert_eq!(
            validate_plan(&plan(&[&a, &a]), std::slice::from_ref(&a)),
            Err(ValidationError::DuplicateEducator(a.id))
        );
        let b = educator(Some("2026-06-01"));
        assert_eq!(
            validate_plan(&plan(&[&a, &b]), std::slice::from_ref(&a)),
            Err(ValidationError::UnknownEducator(b.id))
        );
    }

    #[test]
    fn neutral_place_needs_a_description() {
        let (a, b) = (educator(Some("2026-06-01")), educator(Some("2026-06-01")));
        let mut p = plan(&[&a, &b]);
        p.place = Place::Neutral { description: "  ".into() };
        assert_eq!(validate_plan(&p, &[a.clone(), b.clone()]), Err(ValidationError::NeutralPlaceNeedsDescription));
        p.place = Place::Neutral { description: "Library on 5th".into() };
        assert_eq!(validate_plan(&p, &[a, b]), Ok(()));
    }

    #[test]
    fn outcome_rules() {
        let (a, b) = (educator(Some("2026-06-01")), educator(Some("2026-06-01")));
        let mut p = plan(&[&a, &b]);
        p.family_agreement = Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: a.id });
        let t = |s: &str| Timestamp::parse_rfc3339(s);
        let mut o = VisitOutcome::planned();
        o.status = VisitStatus::Completed;
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::MissingTimes { status: "completed" }));
        o.started_at = t("2026-09-14T16:30:00Z");
        o.ended_at = t("2026-09-14T16:00:00Z");
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::EndBeforeStart));
        o.ended_at = t("2026-09-14T17:05:00Z");
        o.recorded_by = Some(a.id);
        assert_eq!(validate_outcome(&p, &o), Ok(()));
        o.partner_confirmation = Some(PartnerConfirmation { educator_id: a.id, confirmed_at: Timestamp::now() });
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::SelfConfirmation));
        let stranger = EducatorId::new();
        o.partner_confirmation = Some(PartnerConfirmation { educator_id: stranger, confirmed_at: Timestamp::now() });
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::NotOnVisit(stranger)));
        o.partner_confirmation = Some(PartnerConfirmation { educator_id: b.id, confirmed_at: Timestamp::now() });
        assert_eq!(validate_outcome(&p, &o), Ok(()));
        o.recorded_by = None;
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::ConfirmationWithoutRecorder));
        o.recorded_by = Some(a.id);
        o.status = VisitStatus::Cancelled;
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::ConfirmationBeforeCompletion));
        o.status = VisitStatus::FamilyDeclined;
        assert_eq!(validate_outcome(&p, &o), Err(ValidationError::ConfirmationBeforeCompletion));
    }

    #[test]
    fn no_visit_is_confirmed_or_completed_without_the_familys_agreement() {
        let (a, b) = (educator(Some("2026-06-01")), educator(Some("2026-06-01")));
        let mut p = plan(&[&a, &b]);
        let t = |s: &str| Timestamp::parse_rfc3339(s);
        let completed = VisitOutcome {
            status: VisitStatus::Completed,
            started_at: t("2026-09-14T16:30:00Z"),
            ended_at: t("2026-09-14T17:05:00Z"),
            recorded_by: Some(a.id),
            partner_confirmation: Some(PartnerConfirmation { educator_id: b.id, confirmed_at: Timestamp::now() }),
            coordinator_confirmation: None,
        };
        let confirmed = VisitOutcome { status: VisitStatus::Confirmed, ..VisitOutcome::planned() };
        for o in [&completed, &confirmed] {
            assert_eq!(validate_outcome(&p, o), Err(ValidationError::NoFamilyAgreement { status: o.status.as_str() }));
        }
        // Planned, declined, not home, cancelled, rescheduled: no agreement needed.
        for status in VisitStatus::ALL.into_iter().filter(|s| !s.needs_family_agreement()) {
            let o = VisitOutcome { status, ..VisitOutcome::planned() };
            assert_eq!(validate_outcome(&p, &o), Ok(()), "{status:?}");
        }
        p.family_agreement = Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: b.id });
        assert_eq!(validate_outcome(&p, &completed), Ok(()));
        assert_eq!(validate_outcome(&p, &confirmed), Ok(()));
    }

    #[test]
    fn a_visit_by_one_educator_with_an_interpreter_is_confirmed_by_a_coordinator() {
        let (a, b) = (educator(Some("2026-06-01")), educator(Some("2026-06-01")));
        let mut alone = plan(&[&a]);
        alone.interpreter = Some(Interpreter { language: Language::spanish(), kind: InterpreterKind::Separate });
        alone.family_agreement = Some(FamilyAgreement { agreed_at: Timestamp::now(), recorded_by: a.id });
        let t = |s: &str| Timestamp::parse_rfc3339(s);
        let mut o = VisitOutcome {
            status: VisitStatus::Completed,
            started_at: t("2026-09-14T16:30:00Z"),
            ended_at: t("2026-09-14T17:05:00Z"),
            recorded_by: Some(a.id),
            partner_confirmation: None,
            coordinator_confirmation: Some(CoordinatorConfirmation { confirmed_at: Timestamp::now() }),
        };
        assert_eq!(validate_outcome(&alone, &o), Ok(()));
        let log = VisitLog { plan: alone.clone(), outcome: o.clone() };
        assert!(log.is_documented());
        assert!(
            !VisitLog { outcome: VisitOutcome { coordinator_confirmation: None, ..o.clone() }, ..log }.is_documented()
        );
        // A pair confirms its own visit: a coordinator's confirmation does not stand in for it.
        let mut pair = plan(&[&a, &b]);
        pair.family_agreement = alone.family_agreement.clone();
        assert_eq!(validate_outcome(&pair, &o), Err(ValidationError::CoordinatorConfirmsOnlyAVisitWithoutPartner));
        assert!(!VisitLog { plan: pair, outcome: o.clone() }.is_documented());
        o.status = VisitStatus::Planned;
        assert_eq!(validate_outcome(&alone, &o), Err(ValidationError::ConfirmationBeforeCompletion));
        o.status = VisitStatus::Completed;
        alone.family_agreement = None;
        assert_eq!(validate_outcome(&alone, &o), Err(ValidationError::NoFamilyAgreement { status: "completed" }));
    }

    #[test]
    fn a_decline_stands_until_a_renewed_agreement_lifts_it() {
        let (v1, v2) = (VisitId::new(), VisitId::new());
        let mut family = Family {
            id: FamilyId::new(),
            school_id: SchoolId::new(),
            display_name: "F".into(),
            preferred_language: Language::spanish(),
            interpreter_needed: false,
            contact: None,
            students: vec![],
            agreement_renewed: None,
        };
        assert!(!family.has_declined(&[]));
        assert!(family.has_declined(&[v1]));
        family.agreement_renewed = Some(AgreementRenewal { agreed_at: Timestamp::now(), lifts: vec![v1] });
        assert!(!family.has_declined(&[v1]));
        // A later "no" is not lifted by an earlier "yes".
        assert!(family.has_declined(&[v1, v2]));
        assert_eq!(validate_family(&family), Ok(()));
        family.agreement_renewed.as_mut().unwrap().lifts = vec![v1; MAX_LIFTED_DECLINES + 1];
        assert_eq!(
            validate_family(&family),
            Err(ValidationError::TooMany { field: "agreement_renewed.lifts", max: MAX_LIFTED_DECLINES })
        );
    }

    #[test]
    fn statuses_have_one_text_form() {
        for status in VisitStatus::ALL {
            assert_eq!(VisitStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn prompt_packs_are_bounded_and_well_formed() {
        for pack in PromptPack::built_in() {
            assert_eq!(validate_prompt_pack(&pack), Ok(()));
        }
        let ok = PromptPack::built_in().remove(0);
        let with = |f: &dyn Fn(&mut PromptPack)| {
            let mut p = ok.clone();
            f(&mut p);
            validate_prompt_pack(&p)
        };
        assert_eq!(with(&|p| p.prompts.clear()), Err(ValidationError::Empty { field: "prompts" }));
        assert_eq!(with(&|p| p.prompts = vec!["Q?".into(); MAX_PROMPTS]), Ok(()));
        assert_eq!(
            with(&|p| p.prompts = vec!["Q?".into(); MAX_PROMPTS + 1]),
            Err(ValidationError::TooMany { field: "prompts", max: MAX_PROMPTS })
        );
        assert_eq!(
            with(&|p| p.prompts[0] = "ñ".repeat(MAX_PROMPT_TEXT + 1)),
            Err(ValidationError::TooLong { field: "prompts", max: MAX_PROMPT_TEXT })
        );
        assert_eq!(with(&|p| p.prompts[1] = " ".into()), Err(ValidationError::Empty { field: "prompts" }));
        assert_eq!(
            with(&|p| p.note = Some("n".repeat(MAX_PROMPT_TEXT + 1))),
            Err(ValidationError::TooLong { field: "note", max: MAX_PROMPT_TEXT })
        );
        let review = |by: &str| Some(crate::Review { by: by.into(), on: crate::Day::parse("2026-09-01").unwrap() });
        assert_eq!(with(&|p| p.reviewed = review("District Somali liaison")), Ok(()));
        assert_eq!(with(&|p| p.reviewed = review(" ")), Err(ValidationError::Empty { field: "reviewed.by" }));
        assert_eq!(
            with(&|p| p.title = "t".repeat(MAX_SHORT_TEXT + 1)),
            Err(ValidationError::TooLong { field: "title", max: MAX_SHORT_TEXT })
        );
        // A tag that never went through Language::parse (serde is transparent).
        for tag in ["", "english", "EN", "en-", &format!("en{}", "-x".repeat(20))] {
            let language: Language = serde_json::from_value(serde_json::json!(tag)).unwrap();
            assert_eq!(
                with(&|p| p.language = language.clone()),
                Err(ValidationError::Malformed { field: "language" }),
                "{tag}"
            );
        }
    }

    #[test]
    fn errors_never_contain_names() {
        let mut e = educator(None);
        e.display_name = "Rosa Martinez".into();
        let p = plan(&[&e, &educator(None)]);
        let err = validate_plan(&p, &[e.clone()]).unwrap_err().to_string();
        assert!(!err.contains("Rosa"), "{err}");
    }
}
