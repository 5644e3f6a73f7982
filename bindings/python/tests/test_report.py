"""A coordinator's report on the phone (`coordinator_report`): reach and staff participation of the
coordinator's school and visits per educator, counted from the roster and visits the phone synced
from the demo relay. Against a real relay."""

import datetime

import pytest

import homevisit as hv
from support import enrolled, run


def test_a_coordinators_phone_reports_its_school(tmp_path, relay):
    async def scenario():
        app = await enrolled(tmp_path / "johnson", relay, "Dana Johnson")
        school = (await app.whoami()).school_id
        roster = await app.roster()
        staff = [e for e in roster.educators if e.school_id == school]
        families = [f for f in roster.families if f.school_id == school]
        enrolled_students = sum([len((await app.family(f.id)).students) for f in families])

        today = datetime.date.today()
        first, last = str(today - datetime.timedelta(days=30)), str(today + datetime.timedelta(days=10))
        report = await app.coordinator_report(first, last)
        assert (report.from_day, report.to_day) == (first, last)
        [mine] = report.schools
        assert mine.school_id == school
        assert mine.students_enrolled == enrolled_students
        assert mine.staff_on_roster == len(staff)
        # The demo's completed visits at this school: two families, by three of its educators.
        assert mine.families_with_first_visit == 2 and mine.families_with_second_visit == 0
        assert mine.staff_participating == 3
        assert 0 < mine.students_visited < mine.students_enrolled
        assert mine.reach_percent == pytest.approx(100 * mine.students_visited / mine.students_enrolled)
        assert mine.meets_reach_threshold == (mine.students_visited * 10 >= mine.students_enrolled)
        assert mine.meets_staff_threshold == (3 * 2 >= len(staff))

        assert sorted(e.educator_id for e in report.educators) == sorted(e.id for e in staff)
        chen = next(e for e in report.educators if e.display_name == "David Chen")
        assert (chen.visits, chen.completed, chen.documented) == (5, 2, 1)

        with pytest.raises(hv.HomevisitError.Invalid):
            await app.coordinator_report("2026-13-01", last)
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.coordinator_report(last, first)

    run(scenario())
