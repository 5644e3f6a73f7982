package org.homevisit.presentation

import java.nio.file.Files
import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.homevisit.core.NoteField
import org.homevisit.core.RelayPerTest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class SignOutTest : RelayPerTest("signout") {
    @Test
    fun `sign out warns with what would be lost, then wipes the phone`() = runTest(timeout = 3.minutes) {
        val dir = tmp.resolve("rivera")
        val app = enrolledPhone(dir, relay, "Elena Rivera")
        app.use {
            val settings = SettingsViewModel(app, backgroundScope)
            val me = settings.state.await("who I am") { !it.loading }
            assertEquals("Elena Rivera", me.name)
            assertEquals(Role.EDUCATOR, me.role)
            assertEquals("Lincoln Elementary", me.school)
            assertEquals(false, me.notesShared, "the demo schools keep notes to the pair (the relay's policy)")

            // Everything is on the relay: nothing would be lost.
            settings.requestSignOut()
            val clean = settings.state.await("the warning") { it.warning != null }.warning!!
            assertEquals(0, clean.unsynced)
            assertNull(clean.why)
            settings.cancelSignOut()
            assertNull(settings.state.value.warning)

            // No signal now; Elena plans a visit and writes a note: both wait on the phone.
            val roster = app.roster()
            val visit = app.planVisit(planFor(roster.family("Brooks family"), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
            relay.close()
            app.spliceNote(visit, NoteField.HOPES_AND_DREAMS, 0u, 0u, "Jayden wants to be a vet.")
            settings.requestSignOut()
            val warning = settings.state.await("the warning with unsynced changes") { it.warning != null && !it.checking }.warning!!
            assertEquals(app.unsyncedCount().toInt(), warning.unsynced)
            assertTrue(warning.unsynced >= 1, "$warning")
            assertEquals(Problem.OFFLINE, warning.why)
            assertTrue(Files.exists(dir.resolve("homevisit.db")), "nothing deleted before the user confirms")

            settings.confirmSignOut()
            val out = settings.state.await("signed out") { it.signedOut != null }
            assertEquals(SignedOut.BY_USER, out.signedOut)
            assertNull(out.name)
            assertFalse(Files.exists(dir.resolve("homevisit.db")), "the store is deleted")
        }
    }

    @Test
    fun `a phone the district revoked shows that it was signed out, with nothing left on screen`() = runTest(timeout = 3.minutes) {
        val app = enrolledPhone(tmp.resolve("okafor"), relay, "Grace Okafor")
        app.use {
            val roster = app.roster()
            app.planVisit(planFor(roster.family("Morales family"), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
            val today = TodayViewModel(app, backgroundScope)
            today.syncNow()
            today.state.await("the visit on Today") { it.visits.isNotEmpty() && it.badge == SyncBadge.UP_TO_DATE }

            // The lost phone is found by its owner's id and revoked, beside the running relay.
            val devices = relay.devicesOfEducator(app.whoami()!!.educatorId!!)
            assertEquals(1, devices.size, "$devices")
            assertTrue("revoked" in relay.admin("revoke", devices.single()))

            today.syncNow()
            val revoked = today.state.await("signed out by the district") { it.signedOut != null }
            assertEquals(SignedOut.REVOKED, revoked.signedOut)
            assertTrue(revoked.visits.isEmpty())
            assertEquals(SyncBadge.SIGNED_OUT, revoked.badge)

            val status = SyncStatusViewModel(app, backgroundScope)
            assertTrue(status.state.await("sync status") { !it.loading }.revoked)
            val settings = SettingsViewModel(app, backgroundScope)
            assertEquals(SignedOut.REVOKED, settings.state.await("settings") { it.signedOut != null }.signedOut)
            today.close()
            status.close()
        }
    }
}
