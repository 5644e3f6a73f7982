package org.homevisit.core

import java.nio.file.Path
import java.util.Collections
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.TestInstance

/** Records what a [DocumentChangeListener] hears (it is called on a library thread). */
class RecordingChanges : DocumentChangeListener {
    val heard: MutableList<ChangedDocument> = Collections.synchronizedList(mutableListOf())
    val calls = java.util.concurrent.atomic.AtomicInteger()

    override fun onDocumentsChanged(documents: List<ChangedDocument>) {
        calls.incrementAndGet()
        heard.addAll(documents)
    }

    fun snapshot(): List<ChangedDocument> = synchronized(heard) { heard.toList() }
}

/** Records what a [SyncProgressListener] hears. */
class RecordingProgress : SyncProgressListener {
    val progress: MutableList<SyncProgress> = Collections.synchronizedList(mutableListOf())
    val finished: MutableList<String?> = Collections.synchronizedList(mutableListOf())

    override fun onProgress(progress: SyncProgress) {
        this.progress.add(progress)
    }

    override fun onFinished(error: String?) {
        finished.add(error)
    }

    fun calls(): Int = progress.size + finished.size
}

/**
 * Waits until [condition] holds, polling; [bound] is only a liveness bound (the test fails instead
 * of hanging), not an expectation of how fast anything is.
 */
suspend fun eventually(what: String, boundMs: Long = 60_000, condition: suspend () -> Boolean) {
    val ok = withTimeoutOrNull(boundMs) {
        while (!condition()) delay(25)
        true
    }
    if (ok != true) fail<Unit>("$what did not happen within the ${boundMs / 1000} s liveness bound")
}

/**
 * Syncs [apps] in turn, round after round, until [done] holds: a bounded number of rounds (each a
 * full sync of every phone), so a sync that never converges fails.
 */
suspend fun syncUntil(vararg apps: HomevisitApp, rounds: Int = 10, done: suspend () -> Boolean) {
    repeat(rounds) {
        if (done()) return
        apps.forEach { it.syncNow() }
    }
    if (!done()) fail<Unit>("the phones did not converge after $rounds sync rounds")
}

/** A plan for a first visit with [educators] and [family], a few days from now. */
fun planFor(family: Family, educators: List<Educator>): VisitPlan = VisitPlan(
    visitId = "",
    familyId = family.id,
    schoolId = family.schoolId,
    visitNumber = 1u,
    educatorIds = educators.map { it.id },
    interpreter = null,
    place = Place.Home,
    scheduledAtMs = System.currentTimeMillis() + 3 * 24 * 3600 * 1000L,
    expectedEndMs = null,
    familyAgreedAtMs = null,
    agreementRecordedBy = null,
)

fun Roster.educator(name: String): Educator =
    educators.firstOrNull { it.displayName == name } ?: fail("$name is not on the roster: ${educators.map { it.displayName }}")

fun Roster.family(name: String): Family =
    families.firstOrNull { it.displayName == name } ?: fail("$name is not on the roster: ${families.map { it.displayName }}")

/** A phone with its own store in [dir], enrolled as [who] with [relay] and synced once. */
suspend fun enrolledApp(dir: Path, relay: Relay, who: String): HomevisitApp {
    val app = openApp(dir.toString(), generateDatabaseKey())
    app.enroll(relay.url, relay.invite(who))
    app.syncNow()
    return app
}

/** Elena Rivera, Grace Okafor (partners at one school) and a family of their school. */
data class Partners(val rivera: Educator, val okafor: Educator, val family: Family)

/** [Partners] from this app's roster (the first family of Elena Rivera's school). */
suspend fun HomevisitApp.partners(): Partners {
    val roster = roster()
    val rivera = roster.educator("Elena Rivera")
    val okafor = roster.educator("Grace Okafor")
    org.junit.jupiter.api.Assertions.assertEquals(rivera.schoolId, okafor.schoolId, "the partners share a school")
    val family = roster.families.firstOrNull { it.schoolId == rivera.schoolId }
        ?: fail("no family at Elena Rivera's school: ${roster.families.map { it.displayName }}")
    return Partners(rivera, okafor, family)
}

/** The store's files in [dir] (`homevisit.db` and its -wal/-shm/-journal companions). */
fun storeFiles(dir: Path): List<String> =
    dir.toFile().listFiles()?.map { it.name }?.filter { it.startsWith("homevisit.db") }?.sorted() ?: emptyList()

/**
 * One demo relay and one phone enrolled as [who] (its demo name) and synced, for a whole test
 * class, in a fresh directory removed afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EnrolledPhonePerClass(private val prefix: String, private val who: String) {
    protected lateinit var tmp: Path
    protected lateinit var relay: Relay
    protected lateinit var app: HomevisitApp

    @BeforeAll
    fun enroll(): Unit = runBlocking {
        tmp = tempDir(prefix)
        relay = Relay.start(tmp.resolve("relay"))
        app = enrolledApp(tmp.resolve("phone"), relay, who)
    }

    @AfterAll
    fun stop() {
        if (::app.isInitialized) app.close()
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }
}
