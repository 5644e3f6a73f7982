package org.homevisit.core

import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** Signing out wipes the phone: the store file is gone and the app object answers Closed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignOutTest {
    private lateinit var tmp: Path
    private lateinit var relay: Relay

    @BeforeAll
    fun start() {
        tmp = tempDir("signout")
        relay = Relay.start(tmp.resolve("relay"))
    }

    @AfterAll
    fun stop() {
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }

    @Test
    fun `sign out wipes the store, ends subscriptions, and every later call is Closed`(): Unit = runBlocking {
        val dir = tmp.resolve("johnson")
        val key = generateDatabaseKey()
        openApp(dir.toString(), key).use { app ->
            app.enroll(relay.url, relay.invite("Dana Johnson")) // the coordinator's phone
            app.syncNow()
            assertTrue(app.roster().educators.isNotEmpty())
            val progress = RecordingProgress()
            val sub = app.subscribeSyncProgress(progress)
            assertTrue(Files.exists(dir.resolve("homevisit.db")))

            app.signOutAndWipe()

            assertFalse(Files.exists(dir.resolve("homevisit.db")), "the store file is deleted")
            assertThrows<HomevisitException.Closed> { app.todaysVisits() }
            assertThrows<HomevisitException.Closed> { app.roster() }
            assertThrows<HomevisitException.Closed> { app.syncNow() }
            assertThrows<HomevisitException.Closed> { app.noteText("6f1c2b9e-3a7d-4c55-9e2f-0a1b2c3d4e5f", NoteField.LEARNED) }
            assertThrows<HomevisitException.Closed> { app.signOutAndWipe() }
            sub.cancel() // already ended: harmless
            sub.close()
        }
        // The same directory opens as a new, empty, unenrolled phone (any key: the old store is gone).
        openApp(dir.toString(), generateDatabaseKey()).use { fresh ->
            assertFalse(fresh.syncStatus().enrolled)
            assertTrue(fresh.roster().educators.isEmpty())
        }
    }
}
