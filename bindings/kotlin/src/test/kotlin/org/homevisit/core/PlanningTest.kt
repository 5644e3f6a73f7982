package org.homevisit.core

import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** One phone (Elena Rivera's) enrolled with a relay: the roster, planning, and reopening the store. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlanningTest {
    private lateinit var tmp: Path
    private lateinit var relay: Relay
    private lateinit var key: String
    private lateinit var app: HomevisitApp
    private lateinit var riveraCode: String

    private val phoneDir get() = tmp.resolve("rivera").toString()

    @BeforeAll
    fun enroll(): Unit = runBlocking {
        tmp = tempDir("planning")
        relay = Relay.start(tmp.resolve("relay"))
        key = generateDatabaseKey()
        app = openApp(phoneDir, key)
        riveraCode = relay.invite("Elena Rivera")
        app.enroll(relay.url, riveraCode)
        app.syncNow()
    }

    @AfterAll
    fun stop() {
        if (::app.isInitialized) app.close()
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }

    @Test
    fun `the roster arrives from the relay`(): Unit = runBlocking {
        val roster = app.roster()
        val rivera = roster.educator("Elena Rivera")
        val okafor = roster.educator("Grace Okafor")
        assertEquals(rivera.schoolId, okafor.schoolId)
        assertTrue(rivera.trained)
        assertTrue(roster.schools.any { it.id == rivera.schoolId })
        assertTrue(roster.families.any { it.schoolId == rivera.schoolId })
        val status = app.syncStatus()
        assertTrue(status.enrolled)
        assertEquals(relay.url, status.relayUrl)
    }

    @Test
    fun `a visit with two educators of one school and a family is planned and read back`(): Unit = runBlocking {
        val roster = app.roster()
        val rivera = roster.educator("Elena Rivera")
        val okafor = roster.educator("Grace Okafor")
        val family = roster.family("Brooks family")
        val plan = planFor(family, listOf(rivera, okafor)).copy(
            place = Place.Neutral("the public library"),
            expectedEndMs = null,
        )
        val id = app.planVisit(plan)
        assertTrue(id.isNotBlank())

        val visit = app.visit(id)
        assertEquals(plan.copy(visitId = id), visit.plan)
        assertEquals(VisitStatus.PLANNED, visit.outcome.status)

        // The plan changes; the visit keeps its id.
        val later = visit.plan.copy(
            scheduledAtMs = plan.scheduledAtMs + 3600_000,
            interpreter = Interpreter(language = "es", separate = false),
        )
        app.updatePlan(later)
        assertEquals(later, app.visit(id).plan)

        val days = app.visitsOnDay(
            java.time.Instant.ofEpochMilli(later.scheduledAtMs).atOffset(java.time.ZoneOffset.UTC).toLocalDate().toString(),
            0,
        )
        val row = days.firstOrNull { it.visitId == id }
        assertNotNull(row, "the visit is on its day: $days")
        assertEquals(family.displayName, row!!.familyName)
        assertEquals(listOf(rivera.id, okafor.id), row.educatorIds)
        assertTrue(row.interpreter)
    }

    @Test
    fun `a visit with one educator is Invalid`(): Unit = runBlocking {
        val roster = app.roster()
        val plan = planFor(roster.family("Morales family"), listOf(roster.educator("Elena Rivera")))
        val e = assertThrows<HomevisitException.Invalid> { app.planVisit(plan) }
        assertTrue(e.reason.isNotBlank())
        // Two adults, but the only educator is untrained: also refused by the rules.
        val untrained = plan.copy(
            educatorIds = listOf(roster.educator("Grace Okafor").id),
            interpreter = Interpreter(language = "es", separate = true),
        )
        assertThrows<HomevisitException.Invalid> { app.planVisit(untrained) }
        assertThrows<HomevisitException.Invalid> { app.planVisit(plan.copy(visitNumber = 3u)) }
    }

    @Test
    fun `no completion without agreement, and a family's no sticks`(): Unit = runBlocking {
        // A family no other test of this class plans for: its "no" would refuse their plans.
        val roster = app.roster()
        val rivera = roster.educator("Elena Rivera")
        val okafor = roster.educator("Grace Okafor")
        val family = roster.family("Mensah family")
        val plan = planFor(family, listOf(rivera, okafor))
        val visitId = app.planVisit(plan)
        val completed = VisitOutcome(
            status = VisitStatus.COMPLETED,
            startedAtMs = plan.scheduledAtMs,
            endedAtMs = plan.scheduledAtMs + 3_000_000,
            recordedBy = rivera.id,
            confirmedBy = null,
            confirmedAtMs = null,
        )
        val refused = assertThrows<HomevisitException.Invalid> { app.recordOutcome(visitId, completed) }
        assertTrue("agreement" in refused.reason, refused.reason)

        assertFalse(app.familyDeclined(family.id))
        app.recordFamilyDecline(visitId, rivera.id)
        val got = app.visit(visitId).outcome
        assertEquals(VisitStatus.FAMILY_DECLINED, got.status)
        assertEquals(rivera.id, got.recordedBy)
        assertTrue(app.familyDeclined(family.id))
        val again = assertThrows<HomevisitException.Invalid> {
            app.planVisit(plan.copy(scheduledAtMs = plan.scheduledAtMs + 24 * 3600 * 1000L))
        }
        assertTrue("declined" in again.reason, again.reason)
        assertThrows<HomevisitException.Invalid> { app.recordFamilyDecline("not-a-visit", rivera.id) }
    }

    @Test
    fun `an invite code enrolls one phone only`(): Unit = runBlocking {
        openApp(tmp.resolve("second-phone").toString(), generateDatabaseKey()).use { other ->
            assertThrows<HomevisitException.Unauthorized> { other.enroll(relay.url, riveraCode) }
        }
    }

    @Test
    fun `the store keeps the enrollment and the visits after closing and reopening with its key`(): Unit = runBlocking {
        val roster = app.roster()
        val id = app.planVisit(planFor(roster.family("Lopez family"), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
        app.splice(id, "Camila reads to her brother.")
        app.close()
        app = openApp(phoneDir, key)
        assertEquals(id, app.visit(id).plan.visitId)
        assertEquals("Camila reads to her brother.", app.noteText(id, NoteField.LEARNED))
        val status = app.syncStatus()
        assertTrue(status.enrolled)
        assertEquals(relay.url, status.relayUrl)
        // The device token came back from the store too: the relay still accepts this phone.
        app.syncNow()
        assertEquals(0u, app.unsyncedCount())
    }

    private suspend fun HomevisitApp.splice(visit: String, text: String) =
        spliceNote(visit, NoteField.LEARNED, 0u, 0u, text)
}
