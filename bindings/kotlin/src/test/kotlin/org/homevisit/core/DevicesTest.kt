package org.homevisit.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * People and devices: the phone knows who it is after enrolling (`whoami`), and a phone the relay
 * revoked wipes itself at its next sync and says so (remote wipe). Each test has its own relay
 * (invite codes are single-use, and a revoked device stays revoked).
 */
class DevicesTest : RelayPerTest("devices") {
    @Test
    fun `enrollment tells the phone who it is`(): Unit = runBlocking {
        openApp(tmp.resolve("rivera").toString(), generateDatabaseKey()).use { app ->
            assertNull(app.whoami(), "not enrolled yet")
            app.enroll(relay.url, relay.invite("Elena Rivera"))
            app.syncNow()
            val rivera = app.partners().rivera
            assertEquals(Identity(role = DeviceRole.EDUCATOR, schoolId = rivera.schoolId, educatorId = rivera.id), app.whoami())

            enrolledApp(tmp.resolve("johnson"), relay, "Dana Johnson").use { coordinator ->
                val who = coordinator.whoami()
                assertNotNull(who)
                assertEquals(DeviceRole.SCHOOL_COORDINATOR, who!!.role)
                assertEquals(rivera.schoolId, who.schoolId)
                assertNull(who.educatorId, "a coordinator's phone is nobody's educator phone")
            }
        }
    }

    @Test
    fun `a revoked phone reports Revoked and its data is gone`(): Unit = runBlocking {
        val dir = tmp.resolve("rivera")
        val key = generateDatabaseKey()
        val app = openApp(dir.toString(), key)
        val visitId: String
        try {
            app.enroll(relay.url, relay.invite("Elena Rivera"))
            app.syncNow()
            val progress = RecordingProgress()
            val subscription = app.subscribeSyncProgress(progress)
            val (rivera, okafor, family) = app.partners()
            visitId = app.planVisit(planFor(family, listOf(rivera, okafor)))
            app.syncNow()
            assertTrue(storeFiles(dir).isNotEmpty(), "the store is on disk before the wipe")

            // The lost phone is found by its owner's id and revoked.
            val me = app.whoami()
            assertNotNull(me?.educatorId)
            val devices = relay.devicesOfEducator(me!!.educatorId!!)
            assertEquals(1, devices.size, "one device for Elena Rivera: $devices")
            assertTrue("revoked" in relay.admin("revoke", devices[0]))

            assertThrows<HomevisitException.Revoked> { app.syncNow() }
            assertEquals(emptyList<String>(), storeFiles(dir), "the store and its -wal/-shm/-journal files are deleted")
            val status = app.syncStatus()
            assertTrue(status.revoked)
            assertFalse(status.enrolled)
            assertTrue(status.lastError?.contains("revoked") == true, "last error: ${status.lastError}")
            assertTrue(progress.finished.toList().any { it?.contains("revoked") == true }, "the listener was told: ${progress.finished}")
            // Every call says so from now on: nothing of the data is left to show.
            assertThrows<HomevisitException.Revoked> { app.visit(visitId) }
            assertThrows<HomevisitException.Revoked> { app.roster() }
            subscription.cancel()
            subscription.close()
        } finally {
            app.close()
        }

        // The same directory opens as a new, empty phone (the old key no longer matters).
        openApp(dir.toString(), key).use { again ->
            assertEquals(emptyList<Family>(), again.roster().families)
            assertNull(again.whoami())
            assertFalse(again.syncStatus().enrolled)
            assertThrows<HomevisitException.NotFound> { again.visit(visitId) }
        }
    }

    @Test
    fun `an unknown device is still Unauthorized, not Revoked`(): Unit = runBlocking {
        openApp(tmp.resolve("phone").toString(), generateDatabaseKey()).use { app ->
            assertThrows<HomevisitException.Unauthorized> { app.enroll(relay.url, "not-a-code") }
            assertFalse(app.syncStatus().revoked)
        }
    }
}
