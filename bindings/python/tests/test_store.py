"""Opening the phone's encrypted store: keys, reopening, wrong keys, typed errors."""

import gc
import re

import pytest

import homevisit as hv
from support import enrolled, people, run, visit_plan


def test_generate_database_key_is_64_hex_and_fresh():
    keys = {hv.generate_database_key() for _ in range(5)}
    assert len(keys) == 5
    assert all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_open_then_reopen_with_the_same_key(tmp_path):
    async def scenario():
        key = hv.generate_database_key()
        app = await hv.open_app(str(tmp_path / "phone"), key)
        status = await app.sync_status()
        assert not status.enrolled and status.relay_url is None and not status.live
        assert await app.unsynced_count() == 0
        assert await app.todays_visits() == []
        del app
        gc.collect()  # frees the Rust object: the store closes
        assert (tmp_path / "phone" / "homevisit.db").exists()
        again = await hv.open_app(str(tmp_path / "phone"), key)
        assert (await again.sync_status()).enrolled is False

    run(scenario())


def test_reopen_keeps_enrollment_and_planned_visits(tmp_path, relay):
    async def scenario():
        key = hv.generate_database_key()
        app = await hv.open_app(str(tmp_path / "phone"), key)
        await app.enroll(relay.url, relay.code("Elena Rivera"))
        await app.sync_now()
        rivera, okafor, family = await people(app)
        visit_id = await app.plan_visit(visit_plan(family, [rivera, okafor]))
        del app
        gc.collect()
        again = await hv.open_app(str(tmp_path / "phone"), key)
        status = await again.sync_status()
        assert status.enrolled and status.relay_url == relay.url
        assert (await again.visit(visit_id)).plan.family_id == family.id
        await again.sync_now()  # the device token was kept in the store
        assert await again.unsynced_count() == 0

    run(scenario())


def test_wrong_key_is_refused_with_wrong_key(tmp_path):
    async def scenario():
        path = str(tmp_path / "phone")
        app = await hv.open_app(path, hv.generate_database_key())
        del app
        gc.collect()
        with pytest.raises(hv.HomevisitError.WrongKey):
            await hv.open_app(path, hv.generate_database_key())

    run(scenario())


def test_malformed_key_is_invalid(tmp_path):
    async def scenario():
        with pytest.raises(hv.HomevisitError.Invalid) as e:
            await hv.open_app(str(tmp_path / "phone"), "abc")
        assert "64 hex" in e.value.reason

    run(scenario())


def test_errors_are_typed_subclasses_of_homevisit_error(tmp_path, relay):
    async def scenario():
        app = await hv.open_app(str(tmp_path / "phone"), hv.generate_database_key())
        with pytest.raises(hv.HomevisitError.NotEnrolled):
            await app.sync_now()
        with pytest.raises(hv.HomevisitError.Unauthorized):
            await app.enroll(relay.url, "not-a-code")
        with pytest.raises(hv.HomevisitError.InsecureUrl):
            await app.enroll("http://relay.example.org", relay.code("Dana Johnson"))
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.visit("not-a-uuid")
        missing_id = "0b6b7f1e-3c1e-4f7a-9d3e-5b2f7d1e0a11"
        with pytest.raises(hv.HomevisitError.NotFound) as missing:
            await app.visit(missing_id)
        # A document is named by its kind, never its id (which may be a family's).
        assert missing.value.what == "a visit-log document"
        assert missing_id not in str(missing.value)
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.visits_on_day("22/11/2026", 0)
        with pytest.raises(hv.HomevisitError.Invalid):
            await app.prompt_pack("es", 3)
        try:
            await app.sync_now()
        except hv.HomevisitError as e:  # every variant is one exception type
            assert isinstance(e, hv.HomevisitError.NotEnrolled)

    run(scenario())


def test_wrong_argument_types_are_refused_before_crossing():
    async def scenario():
        with pytest.raises(TypeError):
            await hv.open_app(42, hv.generate_database_key())

    run(scenario())
