package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Elena Rivera's phone (A) and Grace Okafor's (B), partners, with one relay. */
class TodayViewModelTest : PartnerPhones("today") {
    @Test
    fun `a visit the partner plans on their phone appears on Today once it syncs`() = runTest(timeout = 3.minutes) {
        TodayViewModel(a, backgroundScope).use { today ->
            val before = today.state.await("Today loaded") { !it.loading }
            assertEquals(a.todaysVisits().map { it.visitId }, before.visits.map { it.visitId })

            // Grace plans a visit with the Lopez family for today, on her phone's planning screen,
            // and it syncs up.
            val roster = b.roster()
            val plan = PlanVisitViewModel(b, b.whoami()!!.educatorId!!, backgroundScope, scheduledAtMs = System.currentTimeMillis() + 60_000)
            val choices = plan.state.await("planning loaded") { !it.loading }
            assertTrue(choices.partners.any { it.name == "Elena Rivera" && it.note == null }, "${choices.partners}")
            assertFalse(choices.partners.any { it.name == "Grace Okafor" }, "not her own partner")
            plan.chooseFamily(roster.family("Lopez family").id)
            plan.choosePartner(roster.educator("Elena Rivera").id)
            plan.choosePlace(PlaceKind.NEUTRAL)
            assertFalse(plan.state.value.canSave, "a neutral place needs its description")
            plan.describePlace("Public library, main branch")
            plan.save()
            val planned = plan.state.await("planned") { it.plannedVisitId != null || it.problem != null }.plannedVisitId
                ?: error("planning failed: ${plan.state.value.problem}")
            assertFalse(before.visits.any { it.visitId == planned })
            b.syncNow()

            // Elena's phone syncs (as its background agent would); the screen refreshes by itself,
            // from the library's "documents changed" callback.
            syncUntil(a) { a.todaysVisits().any { it.visitId == planned } }
            val after = today.state.await("the partner's visit on Today") { s -> s.visits.any { it.visitId == planned } }
            val row = after.visits.first { it.visitId == planned }
            assertEquals("Lopez family", row.familyName)
            assertEquals(VisitStage.PLANNED, row.stage)
            assertEquals(PlaceKind.NEUTRAL, row.place)
            assertEquals(1, row.visitNumber)
            assertEquals(before.visits.size + 1, after.visits.size)
            assertTrue(after.signedOut == null)
        }
    }

    @Test
    fun `Today counts what waits for upload and shows the sync badge`() = runTest(timeout = 3.minutes) {
        TodayViewModel(a, backgroundScope).use { today ->
            today.syncNow()
            today.state.await("up to date after a sync") { it.badge == SyncBadge.UP_TO_DATE && it.unsynced == 0 }
            // A local plan: one visit document waits until the next sync.
            a.shutdown() // no background sync, so the count cannot drop under the assertion
            val roster = a.roster()
            a.planVisit(planFor(roster.family("Mensah family"), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
            today.refresh()
            val waiting = today.state.await("the new visit counted as waiting") { it.unsynced > 0 }
            assertEquals(a.unsyncedCount().toInt(), waiting.unsynced)
            assertEquals(SyncBadge.WAITING, waiting.badge)
            today.syncNow()
            today.state.await("sent") { it.unsynced == 0 && it.badge == SyncBadge.UP_TO_DATE }
        }
    }
}
