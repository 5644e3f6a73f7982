package org.homevisit.core

import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Opening the encrypted store: keys, reopening, and the typed errors of a phone on its own. */
class OpenAppTest {
    private lateinit var dir: Path

    @BeforeEach
    fun makeDir() {
        dir = tempDir("open")
    }

    @AfterEach
    fun removeDir() {
        dir.deleteTree()
    }

    @Test
    fun `a database key is 64 hex characters and new each time`() {
        val a = generateDatabaseKey()
        val b = generateDatabaseKey()
        assertTrue(Regex("^[0-9a-f]{64}$").matches(a), a)
        assertNotEquals(a, b)
    }

    @Test
    fun `a store opens with its key, again after closing`(): Unit = runBlocking {
        val key = generateDatabaseKey()
        val phone = dir.resolve("phone").toString()
        openApp(phone, key).use { app ->
            assertEquals(emptyList<VisitSummary>(), app.todaysVisits())
            assertEquals(0u, app.unsyncedCount())
            assertFalse(app.syncStatus().enrolled)
        }
        assertTrue(Files.exists(dir.resolve("phone").resolve("homevisit.db")))
        // The key may come back from a keystore with whitespace around it.
        openApp(phone, " $key\n").use { app ->
            assertEquals(emptyList<VisitSummary>(), app.visitsOnDay("2026-11-22", -480))
            assertFalse(app.syncStatus().enrolled)
        }
    }

    @Test
    fun `another key does not open the store`(): Unit = runBlocking {
        val phone = dir.resolve("phone").toString()
        openApp(phone, generateDatabaseKey()).close()
        assertThrows<HomevisitException.WrongKey> { openApp(phone, generateDatabaseKey()).close() }
    }

    @Test
    fun `a file that is not a homevisit store is refused as WrongKey`(): Unit = runBlocking {
        val phone = dir.resolve("phone")
        Files.createDirectories(phone)
        Files.write(phone.resolve("homevisit.db"), ByteArray(8192) { (it * 31 + 7).toByte() })
        assertThrows<HomevisitException.WrongKey> { openApp(phone.toString(), generateDatabaseKey()).close() }
    }

    @Test
    fun `a key that is not 64 hex characters is Invalid`(): Unit = runBlocking {
        val e = assertThrows<HomevisitException.Invalid> { openApp(dir.resolve("x").toString(), "abc").close() }
        assertTrue(e.reason.contains("64 hex"), e.reason)
    }

    @Test
    fun `a phone that is not enrolled cannot sync, and bad ids are typed errors`(): Unit = runBlocking {
        openApp(dir.resolve("phone").toString(), generateDatabaseKey()).use { app ->
            assertThrows<HomevisitException.NotEnrolled> { app.syncNow() }
            assertThrows<HomevisitException.Invalid> { app.visit("not-a-visit-id") }
            val missingId = "6f1c2b9e-3a7d-4c55-9e2f-0a1b2c3d4e5f"
            val missing = assertThrows<HomevisitException.NotFound> { app.visit(missingId) }
            // A document is named by its kind, never its id (which may be a family's).
            assertEquals("a visit-log document", missing.what)
            assertFalse(missing.message.orEmpty().contains(missingId), missing.message)
            assertThrows<HomevisitException.Invalid> { app.visitsOnDay("22/11/2026", 0) }
            assertThrows<HomevisitException.Invalid> { app.promptPack("es", 3u) }
        }
    }

    @Test
    fun `enrolling refuses plain http to another machine and reports an unreachable relay as Offline`(): Unit = runBlocking {
        openApp(dir.resolve("phone").toString(), generateDatabaseKey()).use { app ->
            // Refused before any connection is made.
            assertThrows<HomevisitException.InsecureUrl> { app.enroll("http://relay.invalid/", "code") }
            // Nothing listens on port 1 of this machine.
            assertThrows<HomevisitException.Offline> { app.enroll("http://127.0.0.1:1", "code") }
            assertFalse(app.syncStatus().enrolled)
        }
    }
}
