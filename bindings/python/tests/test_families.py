"""Two visits, one family: the family's record (language, interpreter need, children's first
names and grades) and the family's visits, so before visit 2 the pair rereads visit 1's hopes
and dreams. Against a real relay."""

import pytest

import homevisit as hv
from support import enrolled, people, run, visit_plan


def test_the_family_record_has_language_interpreter_need_and_children(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        roster = await app.roster()
        morales = next(f for f in roster.families if f.display_name == "Morales family")
        family = await app.family(morales.id)
        assert (family.id, family.school_id, family.display_name) == (morales.id, morales.school_id, morales.display_name)
        assert family.preferred_language == "es"
        assert family.interpreter_needed is True
        assert family.students == [hv.Student(first_name="Sofia", grade="2"), hv.Student(first_name="Mateo", grade="K")]
        brooks = next(f for f in roster.families if f.display_name == "Brooks family")
        assert (await app.family(brooks.id)).interpreter_needed is False
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.family("not-a-uuid")
        with pytest.raises(hv.HomevisitError.NotFound):
            await app.family("0b6b7f1e-3c1e-4f7a-9d3e-5b2f7d1e0a11")

    run(scenario())


def test_before_the_second_visit_the_pair_rereads_the_first(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "rivera", relay, "Elena Rivera")
        rivera, okafor, family = await people(app)
        before = {v.visit_id for v in await app.family_visits(family.id)}
        first = await app.plan_visit(visit_plan(family, [rivera, okafor], scheduled_at_ms=1_790_000_000_000))
        hopes = "That she reads to her little brother."
        await app.splice_note(first, hv.NoteField.HOPES_AND_DREAMS, 0, 0, hopes)
        second = await app.plan_visit(
            visit_plan(family, [rivera, okafor], visit_number=2, scheduled_at_ms=1_800_000_000_000))

        visits = [v for v in await app.family_visits(family.id) if v.visit_id not in before]
        assert [(v.visit_id, v.visit_number) for v in visits] == [(first, 1), (second, 2)], "earliest first"
        assert all(v.family_id == family.id for v in await app.family_visits(family.id))
        earlier = next(v for v in visits if v.visit_number == 1)
        assert await app.note_text(earlier.visit_id, hv.NoteField.HOPES_AND_DREAMS) == hopes
        # Another family's visits are not listed.
        roster = await app.roster()
        other = next(f for f in roster.families if f.id != family.id and f.school_id == family.school_id)
        assert all(v.visit_id not in (first, second) for v in await app.family_visits(other.id))
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.family_visits("family-1")

    run(scenario())
