"""Planning visits from the roster, reading them back, and what the rules refuse."""

from datetime import datetime, timezone

import pytest

import homevisit as hv
from support import enrolled, people, run, visit_plan


def test_plan_a_visit_from_the_roster_and_read_it_back(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        roster = await app.roster()
        assert roster.schools and roster.educators and roster.families
        rivera, okafor, family = await people(app)
        # Demo data: Rivera is trained; Okafor (a paraprofessional, not trained yet) may visit with her.
        assert rivera.trained and not okafor.trained and okafor.role == "paraprofessional"
        assert any(s.id == rivera.school_id for s in roster.schools)

        plan = visit_plan(family, [rivera, okafor], place=hv.Place.NEUTRAL(description="Eastside library"),
                          expected_end_ms=1_795_000_000_000 + 3_600_000)
        visit_id = await app.plan_visit(plan)
        assert visit_id

        visit = await app.visit(visit_id)
        plan.visit_id = visit_id
        assert visit.plan == plan
        assert visit.plan.place == hv.Place.NEUTRAL(description="Eastside library")
        assert visit.outcome.status == hv.VisitStatus.PLANNED
        assert visit.outcome.confirmed_by is None

        day = datetime.fromtimestamp(plan.scheduled_at_ms / 1000, tz=timezone.utc).date().isoformat()
        rows = await app.visits_on_day(day, 0)
        row = next(r for r in rows if r.visit_id == visit_id)
        assert row.family_id == family.id and sorted(row.educator_ids) == sorted([rivera.id, okafor.id])
        assert row.status == hv.VisitStatus.PLANNED and row.visit_number == 1

        # Update the plan (move it an hour later); the outcome is kept.
        plan.scheduled_at_ms += 3_600_000
        plan.expected_end_ms += 3_600_000
        await app.update_plan(plan)
        assert (await app.visit(visit_id)).plan.scheduled_at_ms == plan.scheduled_at_ms

    run(scenario())


def test_a_visit_with_one_educator_is_invalid(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, _, family = await people(app)
        with pytest.raises(hv.HomevisitError.Invalid) as e:
            await app.plan_visit(visit_plan(family, [rivera]))
        assert e.value.reason
        # Nothing was planned.
        day = datetime.fromtimestamp(1_795_000_000, tz=timezone.utc).date().isoformat()
        assert not [r for r in await app.visits_on_day(day, 0) if r.family_id == family.id
                    and r.scheduled_at_ms == 1_795_000_000_000]

    run(scenario())


def test_other_invalid_plans(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, okafor, family = await people(app)
        bad = [
            visit_plan(family, [rivera, okafor], visit_number=3),
            visit_plan(family, [rivera, okafor], family_id="nope"),
            visit_plan(family, [rivera, okafor], family_agreed_at_ms=1_794_000_000_000),  # no recorder
        ]
        for plan in bad:
            with pytest.raises(hv.HomevisitError.Invalid):
                await app.plan_visit(plan)

    run(scenario())


def test_outcome_recorded_and_confirmed_by_the_partner(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, okafor, family = await people(app)
        # A visit is completed only with the family's agreement recorded (visits are voluntary).
        visit_id = await app.plan_visit(visit_plan(family, [rivera, okafor],
                                                   family_agreed_at_ms=1_794_000_000_000,
                                                   agreement_recorded_by=rivera.id))
        outcome = hv.VisitOutcome(status=hv.VisitStatus.COMPLETED, started_at_ms=1_795_000_000_000,
                                  ended_at_ms=1_795_003_000_000, recorded_by=rivera.id,
                                  confirmed_by=None, confirmed_at_ms=None)
        await app.record_outcome(visit_id, outcome)
        await app.confirm_visit(visit_id, okafor.id)
        got = (await app.visit(visit_id)).outcome
        assert got.status == hv.VisitStatus.COMPLETED and got.recorded_by == rivera.id
        assert got.confirmed_by == okafor.id and got.confirmed_at_ms is not None

    run(scenario())


def test_prompt_pack_in_the_familys_language(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        pack = await app.prompt_pack("es-MX", 1)
        assert pack.language.startswith("es") and pack.visit_number == 1
        assert pack.title and pack.prompts and all(isinstance(p, str) for p in pack.prompts)

    run(scenario())


def test_prompts_for_visit_follow_the_familys_language(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, okafor, _ = await people(app)
        roster = await app.roster()
        # Demo data: the Nguyen family (Rivera's school) speaks Vietnamese, the Brooks family English.
        by_name = {f.display_name: f for f in roster.families}
        nguyen, brooks = by_name["Nguyen family"], by_name["Brooks family"]

        first = await app.plan_visit(visit_plan(nguyen, [rivera, okafor]))
        pack = await app.prompts_for_visit(first)
        assert (pack.language, pack.visit_number) == ("vi", 1)
        assert "hy vọng và ước mơ" in pack.prompts[0]  # visit 1 opens with hopes and dreams
        # The built-in translations are drafts, and say so.
        assert not pack.reviewed and pack.reviewed_by is None and pack.reviewed_on is None
        assert "NOT yet reviewed by a native speaker" in pack.note
        assert pack.school_id is None

        second = await app.plan_visit(visit_plan(nguyen, [rivera, okafor], visit_number=2))
        pack = await app.prompts_for_visit(second)
        assert (pack.language, pack.visit_number) == ("vi", 2)
        assert "hy vọng và ước mơ" in pack.prompts[0]  # visit 2 comes back to them

        english = await app.plan_visit(visit_plan(brooks, [rivera, okafor]))
        assert (await app.prompts_for_visit(english)).language == "en"

        with pytest.raises(hv.HomevisitError.Invalid):
            await app.prompts_for_visit("not-a-uuid")
        with pytest.raises(hv.HomevisitError.NotFound):
            await app.prompts_for_visit("0b6b7f1e-3c1e-4f7a-9d3e-5b2f7d1e0a11")

    run(scenario())


def test_no_completion_without_agreement_and_a_familys_no_sticks(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, okafor, family = await people(app)
        visit_id = await app.plan_visit(visit_plan(family, [rivera, okafor]))
        completed = hv.VisitOutcome(status=hv.VisitStatus.COMPLETED, started_at_ms=1_795_000_000_000,
                                    ended_at_ms=1_795_003_000_000, recorded_by=rivera.id,
                                    confirmed_by=None, confirmed_at_ms=None)
        with pytest.raises(hv.HomevisitError.Invalid) as e:
            await app.record_outcome(visit_id, completed)
        assert "agreement" in e.value.reason

        assert not await app.family_declined(family.id)
        await app.record_family_decline(visit_id, rivera.id)
        got = (await app.visit(visit_id)).outcome
        assert got.status == hv.VisitStatus.FAMILY_DECLINED and got.recorded_by == rivera.id
        assert await app.family_declined(family.id)
        with pytest.raises(hv.HomevisitError.Invalid) as e:
            await app.plan_visit(visit_plan(family, [rivera, okafor], scheduled_at_ms=1_796_000_000_000))
        assert "declined" in e.value.reason
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.record_family_decline("not-a-visit", rivera.id)

    run(scenario())


def test_a_visit_by_one_educator_with_an_interpreter_is_confirmed_by_the_coordinator(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        coordinator = await enrolled(tmp_path / "johnson", relay, "Dana Johnson")
        rivera, _, family = await people(app)
        plan = visit_plan(family, [rivera], interpreter=hv.Interpreter(language="es", separate=True),
                          family_agreed_at_ms=1_794_000_000_000, agreement_recorded_by=rivera.id)
        visit_id = await app.plan_visit(plan)
        outcome = hv.VisitOutcome(status=hv.VisitStatus.COMPLETED, started_at_ms=1_795_000_000_000,
                                  ended_at_ms=1_795_003_000_000, recorded_by=rivera.id,
                                  confirmed_by=None, confirmed_at_ms=None)  # the new field defaults
        await app.record_outcome(visit_id, outcome)
        assert (await app.visit(visit_id)).outcome.coordinator_confirmed_at_ms is None
        await app.sync_now()
        await coordinator.sync_now()
        await coordinator.coordinator_confirm_visit(visit_id)
        await coordinator.sync_now()
        await app.sync_now()
        got = (await app.visit(visit_id)).outcome
        assert got.coordinator_confirmed_at_ms is not None
        assert got.confirmed_by is None, "no partner: the coordinator confirmed it"

    run(scenario())
