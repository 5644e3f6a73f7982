"""Phone to phone in the car: two partners' phones that synced earlier, with the relay gone, write
the debrief and exchange bytes through an in-memory pipe (as Nearby / Multipeer would carry them).
Both debriefs merge; nothing of another visit crosses."""

import pytest

import homevisit as hv
from support import enrolled, people, run, shared_visit, visit_plan


async def exchange(a, b):
    """One exchange to its end over a lossless pipe, A first; both sides' summaries."""
    message = await a.first_message()
    while message is not None:
        reply = await b.receive(message)
        if reply is None:
            break
        message = await a.receive(reply)
    return await a.finish(), await b.finish()


def test_partners_merge_their_debriefs_phone_to_phone_with_no_relay(tmp_path, relay):
    async def scenario():
        a = await enrolled(tmp_path / "a", relay, "Elena Rivera")
        b = await enrolled(tmp_path / "b", relay, "Grace Okafor")
        visit = await shared_visit(a, b)
        rivera, okafor, family = await people(a)
        # One of A's visits that B's phone does not hold (Rivera with Chen).
        roster = await a.roster()
        chen = next(e for e in roster.educators if e.display_name == "David Chen")
        other = await a.plan_visit(visit_plan(family, [rivera, chen], scheduled_at_ms=1_796_000_000_000))
        a.shutdown()
        b.shutdown()
        relay.stop()  # in the car: no relay from here on

        await a.splice_note(visit, hv.NoteField.LEARNED, 0, 0, "Sofia loves soccer.")
        await b.splice_note(visit, hv.NoteField.LEARNED, 0, 0, "Mateo draws dragons. ")
        await a.splice_note(other, hv.NoteField.LEARNED, 0, 0, "Only for the other visit.")
        sa, sb = await exchange(a.start_peer_exchange(visit, okafor.id), b.start_peer_exchange(visit, rivera.id))

        text = await a.note_text(visit, hv.NoteField.LEARNED)
        assert text == await b.note_text(visit, hv.NoteField.LEARNED)
        assert "Sofia loves soccer." in text and "Mateo draws dragons." in text
        assert (sa.documents_changed, sb.documents_changed) == (1, 1)
        assert (sa.documents_refused, sb.documents_refused) == (0, 0)
        with pytest.raises(hv.HomevisitError.NotFound):
            await b.note_text(other, hv.NoteField.LEARNED)

        # A garbled message and a finished exchange are typed errors; a partner id must be an id.
        fresh = b.start_peer_exchange(visit, rivera.id)
        with pytest.raises(hv.HomevisitError.Invalid):
            await fresh.receive(b"not a message")
        await fresh.finish()
        with pytest.raises(hv.HomevisitError.Invalid):
            await fresh.finish()
        with pytest.raises(hv.HomevisitError.Invalid):
            a.start_peer_exchange(visit, "Elena Rivera")

    run(scenario())
