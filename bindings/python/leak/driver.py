"""Leak driver: many calls across the boundary through the generated Python bindings, then
everything freed, so that a leak of libhomevisit_ffi's shows in valgrind's report at exit.

    python driver.py BINDINGS_DIR WORK_DIR [ROUNDS]

Covers: app objects opened and freed, subscriptions with Python listeners created and cancelled
(or dropped), splices and reads, records passed both ways, typed errors raised and caught, syncs
with a relay (the phones are enrolled, so background sync runs too), live mode on and off, sign
out. Counts API calls (public functions and methods), raw FFI crossings (every call to a function
of the library: handle clones and frees, buffers, future polls) and listener callbacks. Prints a
JSON line `LEAK-DRIVER {...}` at the end; exits non-zero if a scenario step fails or a Python
listener is still held by the library after everything was released.
"""

import asyncio
import gc
import json
import os
import re
import sys
import threading
import time
import uuid
from pathlib import Path

BINDINGS, WORK = Path(sys.argv[1]), Path(sys.argv[2])
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 60
# LEAK_DRIVER_SELFTEST=1 leaks one app object on purpose (its handle is never freed), to show
# that the check sees a leak of ours.
SELFTEST = os.environ.get("LEAK_DRIVER_SELFTEST") == "1"
sys.path.insert(0, str(BINDINGS))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import homevisit as hv  # noqa: E402
from relay import Relay  # noqa: E402

# --- counting raw crossings: wrap every library function the generated module calls ----------
ffi_calls = 0
_count_lock = threading.Lock()


def _wrap(fn):
    def counted(*args):
        global ffi_calls
        with _count_lock:
            ffi_calls += 1
        return fn(*args)
    return counted


_lib = hv._UniffiLib
for _name in sorted(set(re.findall(r"_UniffiLib\.((?:ffi|uniffi)_\w+)", Path(hv.__file__).read_text()))):
    if "init_callback_vtable" in _name or "checksum" in _name or "contract_version" in _name:
        continue  # called once at import
    setattr(_lib, _name, _wrap(getattr(_lib, _name)))

# --- counting API calls ---------------------------------------------------------------------
api_calls = 0
errors_caught = {}


async def call(coro):
    global api_calls
    api_calls += 1
    return await coro


def call_sync(fn, *args):
    global api_calls
    api_calls += 1
    return fn(*args)


async def expect(error, coro):
    global api_calls
    api_calls += 1
    try:
        await coro
    except error as e:
        errors_caught[type(e).__name__] = errors_caught.get(type(e).__name__, 0) + 1
        return e
    raise AssertionError(f"expected {error.__name__}")


callbacks = 0


class Changes(hv.DocumentChangeListener):
    def __init__(self):
        self.docs = []

    def on_documents_changed(self, documents):
        global callbacks
        callbacks += 1
        self.docs.extend(documents)


class Progress(hv.SyncProgressListener):
    def __init__(self):
        self.finished = []

    def on_progress(self, progress):
        global callbacks
        callbacks += 1

    def on_finished(self, error):
        global callbacks
        callbacks += 1
        self.finished.append(error)


LEARNED = hv.NoteField.LEARNED


def plan_for(family, educators, **kw):
    fields = dict(visit_id="", family_id=family.id, school_id=family.school_id, visit_number=1,
                  educator_ids=[e.id for e in educators], interpreter=None, place=hv.Place.HOME(),
                  scheduled_at_ms=1_795_000_000_000, expected_end_ms=None, family_agreed_at_ms=None,
                  agreement_recorded_by=None)
    fields.update(kw)
    return hv.VisitPlan(**fields)


async def scenario(relay):
    # App objects opened and freed, wrong and malformed keys.
    key = call_sync(hv.generate_database_key)
    for i in range(10):
        app = await call(hv.open_app(str(WORK / "solo"), key))
        await call(app.sync_status())
        await call(app.todays_visits())
        await expect(hv.HomevisitError.NotEnrolled, app.sync_now())
        del app
        gc.collect()
        await expect(hv.HomevisitError.WrongKey, hv.open_app(str(WORK / "solo"), call_sync(hv.generate_database_key)))
        await expect(hv.HomevisitError.Invalid, hv.open_app(str(WORK / "solo"), "not-a-key"))

    # Two phones enrolled with the relay; a shared visit; one sync each.
    a = await call(hv.open_app(str(WORK / "a"), call_sync(hv.generate_database_key)))
    b = await call(hv.open_app(str(WORK / "b"), call_sync(hv.generate_database_key)))
    await expect(hv.HomevisitError.Unauthorized, a.enroll(relay.url, "unknown-code"))
    await call(a.enroll(relay.url, relay.code("Elena Rivera")))
    await call(b.enroll(relay.url, relay.code("Grace Okafor")))
    await call(a.sync_now())
    await call(b.sync_now())
    roster = await call(a.roster())
    by_name = {e.display_name: e for e in roster.educators}
    rivera, okafor = by_name["Elena Rivera"], by_name["Grace Okafor"]
    family = next(f for f in roster.families if f.school_id == rivera.school_id)
    visit = await call(a.plan_visit(plan_for(family, [rivera, okafor])))
    await call(a.sync_now())
    await call(b.sync_now())

    text = ""
    for i in range(ROUNDS):
        progress, changes = Progress(), Changes()
        p_sub = call_sync(a.subscribe_sync_progress, progress)
        c_sub = call_sync(b.subscribe_document_changes, changes)
        words = f"{i} 🎨 "
        await call(a.splice_note(visit, LEARNED, 0, 0, words))
        text = await call(a.note_text(visit, LEARNED))
        assert text.startswith(words), text
        inside = len(f"{i} ".encode("utf-16-le")) // 2 + 1  # between the emoji's two UTF-16 units
        await expect(hv.HomevisitError.Invalid, a.splice_note(visit, LEARNED, inside, 0, "x"))
        await expect(hv.HomevisitError.Invalid, a.plan_visit(plan_for(family, [rivera])))
        got = await call(a.visit(visit))
        assert got.plan.visit_id == visit
        await call(a.update_plan(got.plan))  # a record back across
        await call(a.visits_on_day("2026-11-18", 0))
        await call(a.prompt_pack("es-MX", 1 + i % 2))
        await expect(hv.HomevisitError.Invalid, a.visit("not-an-id"))
        await expect(hv.HomevisitError.NotFound, a.note_text(str(uuid.UUID(int=i + 1)), LEARNED))
        await call(a.unsynced_count())
        await call(a.sync_status())
        call_sync(p_sub.cancel)
        if i % 2:
            call_sync(c_sub.cancel)
        del p_sub, c_sub, progress, changes  # the even rounds end the subscription by dropping it
        gc.collect()

    # Syncs with listeners subscribed; B hears about A's words.
    progress, changes = Progress(), Changes()
    p_sub = call_sync(a.subscribe_sync_progress, progress)
    c_sub = call_sync(b.subscribe_document_changes, changes)
    for _ in range(3):
        await call(a.sync_now())
        await call(b.sync_now())
    assert await call(b.note_text(visit, LEARNED)) == await call(a.note_text(visit, LEARNED))
    assert None in progress.finished and any(d.id == visit for d in changes.docs)
    await call(b.set_live(True))
    await call(a.splice_note(visit, hv.NoteField.NEXT_STEPS, 0, 0, "Invite to literacy night."))
    await call(a.sync_now())
    deadline = time.monotonic() + 600  # liveness bound (valgrind is slow)
    while await call(b.note_text(visit, hv.NoteField.NEXT_STEPS)) != "Invite to literacy night.":
        assert time.monotonic() < deadline, "live mode did not deliver"
        await asyncio.sleep(0.2)
    await call(b.set_live(False))
    call_sync(p_sub.cancel)
    call_sync(c_sub.cancel)
    await call(b.sign_out_and_wipe())
    await expect(hv.HomevisitError.Closed, b.todays_visits())
    del a, b, p_sub, c_sub, progress, changes
    gc.collect()
    if SELFTEST:
        leaked = await call(hv.open_app(str(WORK / "leaked"), call_sync(hv.generate_database_key)))
        leaked._handle = None  # the binding "forgets" to free it
        del leaked
    # Freed apps stop their background sync; give the aborted tasks a moment to be dropped.
    await asyncio.sleep(2)


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    relay = Relay(WORK / "relay", WORK / "relay.log", stop_after_secs=7200)
    started = time.monotonic()
    try:
        asyncio.run(scenario(relay))
    finally:
        relay.stop()
    gc.collect()
    time.sleep(1)
    held = {
        "DocumentChangeListener": len(hv._UniffiFfiConverterTypeDocumentChangeListener._handle_map),
        "SyncProgressListener": len(hv._UniffiFfiConverterTypeSyncProgressListener._handle_map),
        "pending futures": len(hv._UniffiContinuationHandleMap),
    }
    print("LEAK-DRIVER " + json.dumps({
        "api_calls": api_calls, "ffi_calls": ffi_calls, "callbacks": callbacks,
        "errors_caught": errors_caught, "python_handles_still_held": held,
        "seconds": round(time.monotonic() - started, 1),
    }), flush=True)
    if any(held.values()):
        print(f"leak driver: the library still holds Python objects: {held}", file=sys.stderr)
        sys.exit(3)


main()
