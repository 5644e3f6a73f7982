package org.homevisit.core

import java.nio.file.Path
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.MethodOrderer
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.TestMethodOrder
import org.junit.jupiter.api.assertThrows

/**
 * Two phones, two data dirs: Elena Rivera's (A) and Grace Okafor's (B), enrolled with one relay, typing
 * into the same debrief field of a visit they share. Each test plans its own visit; live mode is
 * switched on last (it changes how B syncs for the rest of the class).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation::class)
class CoEditingTest {
    private lateinit var tmp: Path
    private lateinit var relay: Relay
    private lateinit var a: HomevisitApp
    private lateinit var b: HomevisitApp

    @BeforeAll
    fun enrollBoth(): Unit = runBlocking {
        tmp = tempDir("coedit")
        relay = Relay.start(tmp.resolve("relay"))
        a = openApp(tmp.resolve("rivera").toString(), generateDatabaseKey())
        b = openApp(tmp.resolve("okafor").toString(), generateDatabaseKey())
        a.enroll(relay.url, relay.invite("Elena Rivera"))
        b.enroll(relay.url, relay.invite("Grace Okafor"))
        a.syncNow()
        b.syncNow()
    }

    @AfterAll
    fun stop() {
        if (::a.isInitialized) a.close()
        if (::b.isInitialized) b.close()
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }

    /** A visit planned on A with both partners, synced to B. */
    private suspend fun sharedVisit(familyName: String): String {
        val roster = a.roster()
        val id = a.planVisit(planFor(roster.family(familyName), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
        syncUntil(a, b) { runCatching { b.visit(id) }.isSuccess }
        assertEquals(a.visit(id), b.visit(id))
        return id
    }

    @Test
    @Order(1)
    fun `both partners type into the same field at once and end with the same text`(): Unit = runBlocking {
        val visit = sharedVisit("Morales family")
        val fromA = "Sofia loves soccer \uD83C\uDFA8." // 🎨 is outside the BMP: two UTF-16 units
        val fromB = "Mateo draws dragons. "
        assertEquals(22, fromA.length)

        // Both phones splice at position 0 of the same field concurrently.
        withContext(Dispatchers.Default) {
            coroutineScope {
                launch { a.spliceNote(visit, NoteField.LEARNED, 0u, 0u, fromA) }
                launch { b.spliceNote(visit, NoteField.LEARNED, 0u, 0u, fromB) }
            }
        }
        // Each phone has its own words at once (the other's may already be arriving: both
        // phones' background sync pushes every local edit).
        assertTrue(a.noteText(visit, NoteField.LEARNED).contains(fromA))
        assertTrue(b.noteText(visit, NoteField.LEARNED).contains(fromB))

        // UTF-16 positions, in a field only A writes (so no sync can move them): 19 and 20 are
        // the two halves of the emoji, 22 is the end.
        a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 0u, 0u, fromA)
        val inside = assertThrows<HomevisitException.Invalid> { a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 20u, 0u, "x") }
        assertTrue(inside.reason.isNotBlank())
        assertThrows<HomevisitException.Invalid> { a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 19u, 1u, "") }
        assertThrows<HomevisitException.Invalid> { a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 20u, 1u, "") }
        assertThrows<HomevisitException.Invalid> { a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 23u, 0u, "x") }
        assertEquals(fromA, a.noteText(visit, NoteField.HOPES_AND_DREAMS), "a refused splice changes nothing")
        a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 21u, 0u, "!") // right after the emoji
        a.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 22u, 1u, "") // the last unit: "."
        assertEquals("Sofia loves soccer \uD83C\uDFA8!", a.noteText(visit, NoteField.HOPES_AND_DREAMS))

        // Sync both phones (concurrently, as their screens would) until they agree.
        syncUntil(a, b) {
            coroutineScope { listOf(async { a.syncNow() }, async { b.syncNow() }).awaitAll() }
            val (ta, tb) = a.noteText(visit, NoteField.LEARNED) to b.noteText(visit, NoteField.LEARNED)
            ta == tb && ta.contains(fromA) && ta.contains(fromB.trim())
        }
        // From here only B edits LEARNED, so the merged text B holds cannot move under it.
        val merged = a.noteText(visit, NoteField.LEARNED)
        assertEquals(merged, b.noteText(visit, NoteField.LEARNED))
        assertEquals(fromA.length + fromB.length, merged.length, merged)

        // Edits at UTF-16 positions of the merged text: after the emoji, and replacing it whole.
        val emoji = merged.indexOf("\uD83C\uDFA8")
        assertThrows<HomevisitException.Invalid> { b.spliceNote(visit, NoteField.LEARNED, (emoji + 1).toUInt(), 0u, "!") }
        b.spliceNote(visit, NoteField.LEARNED, (emoji + 2).toUInt(), 0u, "!")
        b.spliceNote(visit, NoteField.LEARNED, emoji.toUInt(), 2u, "\u26BD") // ⚽, one unit
        val expected = merged.substring(0, emoji) + "\u26BD!" + merged.substring(emoji + 2)
        assertEquals(expected, b.noteText(visit, NoteField.LEARNED))
        syncUntil(a, b) {
            a.noteText(visit, NoteField.LEARNED) == expected &&
                b.noteText(visit, NoteField.HOPES_AND_DREAMS) == "Sofia loves soccer \uD83C\uDFA8!"
        }
        // Nothing is left waiting for upload on either phone.
        syncUntil(a, b) { a.unsyncedCount() == 0u && b.unsyncedCount() == 0u }
    }

    @Test
    @Order(2)
    fun `listeners implemented in Kotlin hear syncs and changed documents until cancelled`(): Unit = runBlocking {
        val visit = sharedVisit("Nguyen family")
        val changes = RecordingChanges()
        val progress = RecordingProgress()
        b.subscribeDocumentChanges(changes).use { changeSub ->
            b.subscribeSyncProgress(progress).use { progressSub ->
                a.spliceNote(visit, NoteField.ASSUMPTIONS_CHANGED, 0u, 0u, "Linh's grandmother walks her to school.")
                a.syncNow()
                b.syncNow()
                syncUntil(b) { b.noteText(visit, NoteField.ASSUMPTIONS_CHANGED).isNotEmpty() }

                assertTrue(changes.snapshot().any { it.kind == "visit-notes" && it.id == visit }, "heard: ${changes.snapshot()}")
                assertTrue(progress.finished.contains(null), "a successful sync was reported: ${progress.finished}")
                assertTrue(progress.progress.isNotEmpty(), "progress was reported")
                progress.progress.toList().forEach { assertTrue(it.documentsDone <= it.documentsTotal, "$it") }

                // Cancelled: neither listener is called again, though B keeps syncing and
                // receiving A's words. (One sync first, so a callback already under way when
                // cancel() returned has landed before counting.)
                changeSub.cancel()
                progressSub.cancel()
                progressSub.cancel() // a second cancel does nothing
                b.syncNow()
                val (changeCalls, progressCalls) = changes.calls.get() to progress.calls()

                a.spliceNote(visit, NoteField.ASSUMPTIONS_CHANGED, 0u, 0u, "Every morning, ")
                a.syncNow()
                syncUntil(b) { b.noteText(visit, NoteField.ASSUMPTIONS_CHANGED).startsWith("Every morning, ") }
                b.syncNow()
                assertEquals(changeCalls, changes.calls.get(), "the cancelled change listener was not called")
                assertEquals(progressCalls, progress.calls(), "the cancelled progress listener was not called")
            }
        }

        // close() (use {}) ends a subscription as cancel() does.
        val closed = RecordingChanges()
        b.subscribeDocumentChanges(closed).close()
        a.spliceNote(visit, NoteField.NEXT_STEPS, 0u, 0u, "Share the reading log.")
        a.syncNow()
        syncUntil(b) { b.noteText(visit, NoteField.NEXT_STEPS).isNotEmpty() }
        assertEquals(0, closed.calls.get())
    }

    @Test
    @Order(3)
    fun `in live mode a partner's words arrive without a manual sync`(): Unit = runBlocking {
        val visit = sharedVisit("Mensah family")
        RecordingChanges().let { changes ->
            b.subscribeDocumentChanges(changes).use {
                b.setLive(true)
                assertTrue(b.syncStatus().live)
                a.spliceNote(visit, NoteField.NEXT_STEPS, 0u, 0u, "Invite Kofi's family to literacy night \uD83D\uDCDA.")
                a.syncNow() // A pushes; B never calls syncNow below
                eventually("B receiving A's words in live mode") {
                    b.noteText(visit, NoteField.NEXT_STEPS).isNotEmpty()
                }
                assertEquals("Invite Kofi's family to literacy night \uD83D\uDCDA.", b.noteText(visit, NoteField.NEXT_STEPS))
                eventually("B's change listener hearing the visit") { changes.snapshot().any { it.id == visit } }

                // And the other way: B's edit reaches A in live mode too, with no syncNow at all
                // (a local edit nudges the background sync).
                a.setLive(true)
                b.spliceNote(visit, NoteField.USE_IN_CLASS, 0u, 0u, "A dragon drawing corner.")
                eventually("A receiving B's words in live mode") {
                    a.noteText(visit, NoteField.USE_IN_CLASS) == "A dragon drawing corner."
                }
            }
        }
        val status = b.syncStatus()
        assertTrue(status.live && status.enrolled)
        assertFalse(status.lastSuccessMs == null)
    }
}
