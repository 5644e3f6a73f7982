package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.homevisit.core.NoteField
import org.homevisit.core.RelayPerTest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class SyncStatusTest : RelayPerTest("status") {
    @Test
    fun `the sync screen says what is waiting and why, from the library's own status`() = runTest(timeout = 3.minutes) {
        enrolledPhone(tmp.resolve("rivera"), relay, "Elena Rivera").use { app ->
            val vm = SyncStatusViewModel(app, backgroundScope)
            vm.syncNow()
            val synced = vm.state.await("synced") { !it.loading && it.lastSuccessMs != null && !it.syncing }
            assertEquals(0, synced.waiting)
            assertNull(synced.why)
            assertTrue(synced.enrolled)

            // The signal is gone: a visit planned and a note written wait, and the screen says why
            // (the library's typed reason) and lists each of them.
            relay.close()
            val roster = app.roster()
            val visit = app.planVisit(planFor(roster.family("Mensah family"), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
            app.spliceNote(visit, NoteField.INVITATION, 0u, 0u, "Literacy night, Thursday.")
            vm.syncNow()
            // (Awaited with what is waiting: a state from before the visit was planned, the
            // background agent finding the relay gone, also says offline.)
            val offline = vm.state.await("offline") { it.why != null && !it.syncing && it.waiting >= 2 }
            assertEquals(Problem.OFFLINE, offline.why)
            assertEquals(app.unsyncedCount().toInt(), offline.waiting)
            assertTrue(offline.waiting >= 2, "the visit and its notes: $offline")
            assertNotNull(offline.lastSuccessMs, "the last good sync is still shown")
            assertEquals(offline.waiting, offline.items.size)
            assertTrue(WaitingItem(WaitingKind.VISIT_LOG, null) in offline.items, "$offline")
            assertTrue(WaitingItem(WaitingKind.VISIT_NOTES, null) in offline.items, "$offline")
            vm.close()
        }
    }

    @Test
    fun `a record the relay refused is listed with why, first`() = runTest(timeout = 3.minutes) {
        enrolledPhone(tmp.resolve("rivera"), relay, "Elena Rivera").use { app ->
            app.syncNow()
            // The family says no at today's visit; an educator's phone then lifts it, which only a
            // coordinator may: the relay refuses the family's record.
            val me = app.whoami()!!.educatorId!!
            val visit = app.todaysVisits().first { me in it.educatorIds }
            app.recordFamilyDecline(visit.visitId, me)
            app.syncNow()
            app.renewFamilyAgreement(visit.familyId)
            app.syncNow()
            val vm = SyncStatusViewModel(app, backgroundScope)
            val state = vm.state.await("the refused record") { !it.loading && it.items.isNotEmpty() }
            assertEquals(listOf(WaitingItem(WaitingKind.FAMILY, Refusal.NOT_ALLOWED)), state.items)
            assertNull(state.why, "the sync itself went through")
            vm.close()
        }
    }
}
