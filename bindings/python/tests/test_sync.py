"""Two phones and a relay: co-editing one debrief field, listeners, live mode, signing out."""

import asyncio
import gc
import weakref
from datetime import datetime, timezone

import pytest

import homevisit as hv
from support import (Changes, Progress, enrolled, eventually, people, run, shared_visit, sync_until_equal,
                     utf16_index, utf16_len)

LEARNED = hv.NoteField.LEARNED
SOFIA = "Sofia loves soccer 🎨."  # 🎨 is outside the BMP: two UTF-16 units
MATEO = "Mateo draws dragons. "


async def two_phones(tmp_path, relay):
    a, b = await asyncio.gather(enrolled(tmp_path / "a", relay, "Elena Rivera"),
                                enrolled(tmp_path / "b", relay, "Grace Okafor"))
    return a, b, await shared_visit(a, b)


def test_two_phones_type_into_one_debrief_field_at_once(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        await asyncio.gather(a.splice_note(visit, LEARNED, 0, 0, SOFIA),
                             b.splice_note(visit, LEARNED, 0, 0, MATEO))
        text = await sync_until_equal(a, b, visit, LEARNED)
        assert SOFIA in text and MATEO in text, text
        assert await a.unsynced_count() == 0 and await b.unsynced_count() == 0

        # Positions are UTF-16 units: a splice between the emoji's two units is refused...
        inside = utf16_index(text, "🎨") + 1
        with pytest.raises(hv.HomevisitError.Invalid):
            await a.splice_note(visit, LEARNED, inside, 0, "x")
        with pytest.raises(hv.HomevisitError.Invalid):
            await b.splice_note(visit, LEARNED, inside - 1, 1, "")  # deleting half of it
        assert await a.note_text(visit, LEARNED) == text
        # ...and one right after it lands after the whole emoji.
        await a.splice_note(visit, LEARNED, inside + 1, 0, "⚽")
        assert "🎨⚽." in await a.note_text(visit, LEARNED)
        # Past the end is refused too.
        with pytest.raises(hv.HomevisitError.Invalid):
            await b.splice_note(visit, LEARNED, utf16_len(text) + 1, 0, "x")
        final = await sync_until_equal(a, b, visit, LEARNED)
        assert "🎨⚽." in final and MATEO in final

    run(scenario())


def test_the_debrief_done_mark_reaches_the_partner_with_both_words(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        rivera, okafor, _ = await people(a)
        assert await a.debrief_done(visit) is None
        with pytest.raises(hv.HomevisitError.Invalid):
            await a.mark_debrief_done(visit, "not-an-id")
        # Okafor writes offline while Rivera marks the debrief done: neither loses anything.
        await asyncio.gather(b.splice_note(visit, LEARNED, 0, 0, MATEO),
                             a.mark_debrief_done(visit, rivera.id))
        text = await sync_until_equal(a, b, visit, LEARNED)
        assert MATEO in text
        done = await eventually(lambda: b.debrief_done(visit))
        assert done.educator_id == rivera.id and done.at_ms > 0
        await b.reopen_debrief(visit)
        await b.sync_now()
        await a.sync_now()
        assert await a.debrief_done(visit) is None

    run(scenario())


def test_listeners_written_in_python_are_called(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        progress, changes = Progress(), Changes()
        progress_sub = a.subscribe_sync_progress(progress)
        changes_sub = b.subscribe_document_changes(changes)
        try:
            await a.splice_note(visit, LEARNED, 0, 0, SOFIA)
            summary = await a.sync_now()
            assert summary.unsynced == 0
            assert None in progress.finished  # a successful sync ended
            assert progress.progress, "on_progress was called"
            assert all(p.documents_done <= p.documents_total for p in progress.progress)
            await eventually(lambda: _synced_text(b, visit, SOFIA))
            assert changes.saw("visit-notes", visit), changes.docs()
        finally:
            progress_sub.cancel()
            changes_sub.cancel()

    run(scenario())


async def _synced_text(app, visit, expected):
    await app.sync_now()
    return await app.note_text(visit, LEARNED) == expected


def test_a_partners_new_visit_is_announced(tmp_path, relay):
    async def scenario():
        a, b = await asyncio.gather(enrolled(tmp_path / "a", relay, "Elena Rivera"),
                                    enrolled(tmp_path / "b", relay, "Grace Okafor"))
        changes = Changes()
        sub = b.subscribe_document_changes(changes)
        try:
            visit = await shared_visit(a, b)
            assert changes.saw("visit-log", visit), changes.docs()
            assert visit in [v.visit_id for v in await b.visits_on_day(_day_of(await b.visit(visit)), 0)]
        finally:
            sub.cancel()

    run(scenario())


def _day_of(visit):
    return datetime.fromtimestamp(visit.plan.scheduled_at_ms / 1000, tz=timezone.utc).date().isoformat()


def test_a_cancelled_subscription_is_not_called_and_releases_its_listener(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        changes = Changes()
        sub = b.subscribe_document_changes(changes)
        await a.splice_note(visit, LEARNED, 0, 0, "first ")
        await a.sync_now()
        await eventually(lambda: _synced_text(b, visit, "first "))
        assert changes.saw("visit-notes", visit)

        sub.cancel()
        sub.cancel()  # again: nothing happens
        seen = changes.calls
        await a.splice_note(visit, LEARNED, 6, 0, "second")
        await a.sync_now()
        await eventually(lambda: _synced_text(b, visit, "first second"))
        assert changes.calls == seen

        # The library let go of the Python object once cancelled.
        gone = weakref.ref(changes)
        del changes
        gc.collect()
        assert gone() is None

    run(scenario())


def test_dropping_a_subscription_ends_it(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        changes, progress = Changes(), Progress()
        subs = [b.subscribe_document_changes(changes), b.subscribe_sync_progress(progress)]
        refs = [weakref.ref(changes), weakref.ref(progress)]
        del changes, progress, subs
        gc.collect()
        assert [r() for r in refs] == [None, None]
        await a.splice_note(visit, LEARNED, 0, 0, "still syncs")
        await a.sync_now()
        await eventually(lambda: _synced_text(b, visit, "still syncs"))

    run(scenario())


class RaisingProgress(hv.SyncProgressListener):
    def on_progress(self, progress):
        raise RuntimeError("a bug in the shell's listener")

    def on_finished(self, error):
        raise RuntimeError("a bug in the shell's listener")


def test_a_listener_that_raises_does_not_stop_background_sync(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        sub = a.subscribe_sync_progress(RaisingProgress())
        try:
            await a.splice_note(visit, LEARNED, 0, 0, "one ")  # nudges background sync
            await eventually(lambda: _synced_text(b, visit, "one "), timeout=20)
        finally:
            sub.cancel()
        await a.splice_note(visit, LEARNED, 4, 0, "two")  # no listener now; A never syncs by hand
        await eventually(lambda: _synced_text(b, visit, "one two"), timeout=20)

    run(scenario())


def test_live_mode_delivers_a_partners_words_without_syncing_by_hand(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        await b.set_live(True)
        assert (await b.sync_status()).live
        changes = Changes()
        sub = b.subscribe_document_changes(changes)
        try:
            await a.splice_note(visit, hv.NoteField.NEXT_STEPS, 0, 0, "Invite to literacy night.")
            await a.sync_now()

            async def arrived():  # only reads on B: no sync_now
                return await b.note_text(visit, hv.NoteField.NEXT_STEPS) == "Invite to literacy night."

            await eventually(arrived)
            await eventually(lambda: _true(changes.saw("visit-notes", visit)))
        finally:
            sub.cancel()
        await b.set_live(False)
        assert not (await b.sync_status()).live

    run(scenario())


async def _true(value):
    return value


def test_sign_out_wipes_the_phone_and_closes_the_app(tmp_path, relay):
    async def scenario():
        a, b, visit = await two_phones(tmp_path, relay)
        progress = Progress()
        b.subscribe_sync_progress(progress)  # ended by signing out
        await b.sign_out_and_wipe()
        assert not (tmp_path / "b" / "homevisit.db").exists()
        for call in (b.todays_visits(), b.note_text(visit, LEARNED), b.sync_now(), b.unsynced_count(),
                     b.splice_note(visit, LEARNED, 0, 0, "x"), b.sign_out_and_wipe()):
            with pytest.raises(hv.HomevisitError.Closed):
                await call
        # The other phone is unaffected.
        assert (await a.visit(visit)).plan.visit_id == visit
        # The same directory opens again as a new, empty phone.
        again = await hv.open_app(str(tmp_path / "b"), hv.generate_database_key())
        assert not (await again.sync_status()).enrolled

    run(scenario())
