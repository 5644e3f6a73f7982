"""Helpers shared by the tests: running coroutines, enrolled phones, a shared visit, listeners."""

import asyncio
import threading
import time

import homevisit as hv

# Liveness bounds only: nothing asserts how fast anything is.
SCENARIO_TIMEOUT_S = 240
EVENTUALLY_TIMEOUT_S = 60


def run(coro, timeout=SCENARIO_TIMEOUT_S):
    """Runs one test's coroutine on a fresh event loop (the generated async API awaits Rust futures
    on the running loop)."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def utf16_len(s: str) -> int:
    """Text positions across the boundary are UTF-16 units, as Kotlin and Swift count them."""
    return len(s.encode("utf-16-le")) // 2


def utf16_index(s: str, sub: str) -> int:
    return utf16_len(s[: s.index(sub)])


async def eventually(check, timeout=EVENTUALLY_TIMEOUT_S, interval=0.05):
    """Awaits `check()` (an async callable) until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: last result {result!r}")
        await asyncio.sleep(interval)


async def enrolled(path, relay, who):
    """A phone with its own store, enrolled as `who` and synced once."""
    app = await hv.open_app(str(path), hv.generate_database_key())
    await app.enroll(relay.url, relay.code(who))
    await app.sync_now()
    return app


async def people(app):
    """(Elena Rivera, Grace Okafor, a family of their school) from the app's roster."""
    roster = await app.roster()
    by_name = {e.display_name: e for e in roster.educators}
    rivera, okafor = by_name["Elena Rivera"], by_name["Grace Okafor"]
    assert rivera.school_id == okafor.school_id
    family = next(f for f in roster.families if f.school_id == rivera.school_id)
    return rivera, okafor, family


def visit_plan(family, educators, **kw):
    fields = dict(
        visit_id="",
        family_id=family.id,
        school_id=family.school_id,
        visit_number=1,
        educator_ids=[e.id for e in educators],
        interpreter=None,
        place=hv.Place.HOME(),
        scheduled_at_ms=1_795_000_000_000,
        expected_end_ms=None,
        family_agreed_at_ms=None,
        agreement_recorded_by=None,
    )
    fields.update(kw)
    return hv.VisitPlan(**fields)


async def shared_visit(a, b):
    """A visit planned on phone `a` for Rivera and Okafor, synced to phone `b`."""
    rivera, okafor, family = await people(a)
    visit_id = await a.plan_visit(visit_plan(family, [rivera, okafor]))
    await a.sync_now()
    await b.sync_now()
    await b.visit(visit_id)  # it arrived
    return visit_id


async def sync_until_equal(a, b, visit_id, field, rounds=20):
    """Syncs both phones until they show the same text for the field (bounded number of rounds)."""
    for _ in range(rounds):
        await asyncio.gather(a.sync_now(), b.sync_now())
        ta, tb = await asyncio.gather(a.note_text(visit_id, field), b.note_text(visit_id, field))
        if ta == tb:
            return ta
    raise AssertionError(f"still different after {rounds} rounds: {ta!r} / {tb!r}")


class Changes(hv.DocumentChangeListener):
    """Records the documents a sync changed (called from a library thread)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._docs = []
        self.calls = 0

    def on_documents_changed(self, documents):
        with self._lock:
            self.calls += 1
            self._docs.extend(documents)

    def docs(self):
        with self._lock:
            return list(self._docs)

    def saw(self, kind, id_):
        return any(d.kind == kind and d.id == id_ for d in self.docs())


class Progress(hv.SyncProgressListener):
    """Records sync progress and endings (called from a library thread)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.progress = []
        self.finished = []

    def on_progress(self, progress):
        with self._lock:
            self.progress.append(progress)

    def on_finished(self, error):
        with self._lock:
            self.finished.append(error)
