package org.homevisit.presentation

import java.nio.file.Path
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import org.homevisit.core.Educator
import org.homevisit.core.Family
import org.homevisit.core.HomevisitApp
import org.homevisit.core.Place
import org.homevisit.core.Relay
import org.homevisit.core.Roster
import org.homevisit.core.VisitPlan
import org.homevisit.core.deleteTree
import org.homevisit.core.generateDatabaseKey
import org.homevisit.core.openApp
import org.homevisit.core.tempDir
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.TestInstance

/**
 * Two partners' phones for a test class, Elena Rivera's ([a]) and Grace Okafor's ([b]), enrolled
 * with one demo relay; each test plans its own visit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PartnerPhones(private val prefix: String) {
    protected lateinit var tmp: Path
    protected lateinit var relay: Relay
    protected lateinit var a: HomevisitApp
    protected lateinit var b: HomevisitApp

    @BeforeAll
    fun phones(): Unit = runBlocking {
        tmp = tempDir(prefix)
        relay = Relay.start(tmp.resolve("relay"))
        a = enrolledPhone(tmp.resolve("rivera"), relay, "Elena Rivera")
        b = enrolledPhone(tmp.resolve("okafor"), relay, "Grace Okafor")
    }

    @AfterAll
    fun stopPhones() {
        if (::a.isInitialized) a.close()
        if (::b.isInitialized) b.close()
        if (::relay.isInitialized) relay.close()
        tmp.deleteTree()
    }
}

/** A liveness bound for anything awaited: a test fails instead of hanging. Not an expectation of speed. */
val BOUND = 60.seconds

/** A phone: its own data directory and key, enrolled with [relay] as [name]. */
suspend fun enrolledPhone(dir: Path, relay: Relay, name: String): HomevisitApp {
    val app = openApp(dir.toString(), generateDatabaseKey())
    app.enroll(relay.url, relay.invite(name))
    app.syncNow()
    return app
}

/**
 * Waits (in real time, off the test scheduler) until a view model's state satisfies [condition];
 * returns that state.
 */
suspend fun <T> StateFlow<T>.await(what: String, condition: (T) -> Boolean): T =
    withContext(Dispatchers.Default) {
        withTimeoutOrNull(BOUND) { first(condition) } ?: fail("$what: not within the liveness bound; last state: $value")
    }

/** Polls a library call (real time) until [condition] holds. */
suspend fun eventually(what: String, condition: suspend () -> Boolean) = withContext(Dispatchers.Default) {
    val ok = withTimeoutOrNull(BOUND) {
        while (!condition()) delay(25)
        true
    }
    if (ok != true) fail<Unit>("$what did not happen within the liveness bound")
}

/** Syncs the phones round after round until [done] holds (a bounded number of rounds). */
suspend fun syncUntil(vararg apps: HomevisitApp, rounds: Int = 10, done: suspend () -> Boolean) {
    repeat(rounds) {
        if (done()) return
        apps.forEach { it.syncNow() }
    }
    if (!done()) fail<Unit>("the phones did not converge after $rounds sync rounds")
}

/** A plan for [family] with [educators], today, a little from now. */
fun planFor(family: Family, educators: List<Educator>, visitNumber: Int = 1): VisitPlan = VisitPlan(
    visitId = "",
    familyId = family.id,
    schoolId = family.schoolId,
    visitNumber = visitNumber.toUByte(),
    educatorIds = educators.map { it.id },
    interpreter = null,
    place = Place.Home,
    scheduledAtMs = System.currentTimeMillis() + 60_000,
    expectedEndMs = null,
    familyAgreedAtMs = null,
    agreementRecordedBy = null,
)

fun Roster.educator(name: String): Educator =
    educators.firstOrNull { it.displayName == name } ?: fail("$name is not on the roster")

fun Roster.family(name: String): Family =
    families.firstOrNull { it.displayName == name } ?: fail("$name is not on the roster")
