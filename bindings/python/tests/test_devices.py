"""People and devices: the phone knows who it is after enrolling (`whoami`), and a phone the relay
revoked wipes itself at its next sync and says so (remote wipe). Against a real relay."""

import gc

import pytest

import homevisit as hv
from support import Progress, enrolled, people, run, visit_plan


def store_files(path):
    return sorted(p.name for p in path.iterdir() if p.name.startswith("homevisit.db")) if path.exists() else []


def test_enrollment_tells_the_phone_who_it_is(tmp_path, relay):
    async def scenario():
        app = await hv.open_app(str(tmp_path / "rivera"), hv.generate_database_key())
        assert await app.whoami() is None  # not enrolled
        await app.enroll(relay.url, relay.code("Elena Rivera"))
        await app.sync_now()
        rivera, _, _ = await people(app)
        me = await app.whoami()
        assert me == hv.Identity(role=hv.DeviceRole.EDUCATOR, school_id=rivera.school_id, educator_id=rivera.id)

        coordinator = await enrolled(tmp_path / "johnson", relay, "Dana Johnson")
        who = await coordinator.whoami()
        assert who.role == hv.DeviceRole.SCHOOL_COORDINATOR
        assert who.school_id == rivera.school_id and who.educator_id is None

    run(scenario())


def test_a_revoked_phone_reports_revoked_and_its_data_is_gone(tmp_path, relay):
    async def scenario():
        key = hv.generate_database_key()
        path = tmp_path / "rivera"
        app = await enrolled(path, relay, "Elena Rivera")
        progress = Progress()
        subscription = app.subscribe_sync_progress(progress)
        rivera, okafor, family = await people(app)
        visit_id = await app.plan_visit(visit_plan(family, [rivera, okafor]))
        await app.sync_now()
        assert store_files(path)

        # The lost phone is found by its owner's id and revoked.
        me = await app.whoami()
        [device_id] = relay.devices_of_educator(me.educator_id)
        assert "revoked" in relay.admin("revoke", device_id)

        with pytest.raises(hv.HomevisitError.Revoked):
            await app.sync_now()
        assert store_files(path) == [], "the store and its -wal/-shm/-journal files are deleted"
        status = await app.sync_status()
        assert status.revoked and not status.enrolled
        assert "revoked" in status.last_error
        assert any(e and "revoked" in e for e in progress.finished), "the listener was told"
        # Every call says so from now on: nothing of the data is left to show.
        with pytest.raises(hv.HomevisitError.Revoked):
            await app.visit(visit_id)
        with pytest.raises(hv.HomevisitError.Revoked):
            await app.roster()
        subscription.cancel()
        del app
        gc.collect()

        # The same directory opens as a new, empty phone (the old key no longer matters).
        again = await hv.open_app(str(path), key)
        assert (await again.roster()).families == []
        assert await again.whoami() is None
        assert not (await again.sync_status()).enrolled
        with pytest.raises(hv.HomevisitError.NotFound):
            await again.visit(visit_id)

    run(scenario())


def test_an_unknown_device_is_still_unauthorized_not_revoked(tmp_path, relay):
    async def scenario():
        app = await hv.open_app(str(tmp_path / "phone"), hv.generate_database_key())
        with pytest.raises(hv.HomevisitError.Unauthorized):
            await app.enroll(relay.url, "not-a-code")
        assert not (await app.sync_status()).revoked

    run(scenario())
