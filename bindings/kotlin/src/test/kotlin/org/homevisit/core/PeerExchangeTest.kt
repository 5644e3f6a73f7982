package org.homevisit.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Phone to phone in the car: Elena Rivera's and Grace Okafor's phones synced with the relay earlier;
 * with the relay gone, both write the debrief and exchange bytes through an in-memory pipe (what
 * Nearby Connections carries on a phone). Both debriefs merge; nothing of another visit crosses.
 */
class PeerExchangeTest {
    /** One exchange to its end over a lossless pipe, [a] first: both sides' summaries. */
    private suspend fun exchange(a: PeerExchange, b: PeerExchange): Pair<PeerSummary, PeerSummary> {
        var message: ByteArray? = a.firstMessage()
        while (message != null) {
            val reply = b.receive(message) ?: break
            message = a.receive(reply)
        }
        return a.finish() to b.finish()
    }

    @Test
    fun partnersMergeTheirDebriefsPhoneToPhoneWithNoRelay(): Unit = runBlocking {
        val tmp = tempDir("peer")
        try {
            val relay = Relay.start(tmp.resolve("relay")) // stopped by use {} whatever happens (the scenario stops it early)
            relay.use { runScenario(it, tmp) }
        } finally {
            tmp.deleteTree()
        }
    }

    private suspend fun runScenario(relay: Relay, tmp: java.nio.file.Path) {
        val a = openApp(tmp.resolve("rivera").toString(), generateDatabaseKey())
        val b = openApp(tmp.resolve("okafor").toString(), generateDatabaseKey())
        a.use {
            b.use {
                a.enroll(relay.url, relay.invite("Elena Rivera"))
                b.enroll(relay.url, relay.invite("Grace Okafor"))
                a.syncNow()
                b.syncNow()
                val roster = a.roster()
                val (rivera, okafor) = roster.educator("Elena Rivera") to roster.educator("Grace Okafor")
                val family = roster.family("Brooks family")
                val visit = a.planVisit(planFor(family, listOf(rivera, okafor)))
                // One of A's visits that B's phone never holds (Rivera with David Chen).
                val other = a.planVisit(planFor(family, listOf(rivera, roster.educator("David Chen"))))
                syncUntil(a, b) { runCatching { b.visit(visit) }.isSuccess }
                a.shutdown()
                b.shutdown()
                relay.close() // in the car: no relay from here on

                a.spliceNote(visit, NoteField.LEARNED, 0u, 0u, "Jayden loves soccer.")
                b.spliceNote(visit, NoteField.LEARNED, 0u, 0u, "He draws dragons. ")
                a.spliceNote(other, NoteField.LEARNED, 0u, 0u, "Only for the other visit.")
                val (sa, sb) = exchange(a.startPeerExchange(visit, okafor.id), b.startPeerExchange(visit, rivera.id))

                val text = a.noteText(visit, NoteField.LEARNED)
                assertEquals(text, b.noteText(visit, NoteField.LEARNED))
                assertTrue("Jayden loves soccer." in text && "He draws dragons." in text, text)
                assertEquals(1u to 1u, sa.documentsChanged to sb.documentsChanged)
                assertEquals(0u to 0u, sa.documentsRefused to sb.documentsRefused)
                assertThrows<HomevisitException.NotFound> { b.noteText(other, NoteField.LEARNED) }

                // A garbled message, a finished exchange and a partner that is not an id are typed errors.
                val fresh = b.startPeerExchange(visit, rivera.id)
                assertThrows<HomevisitException.Invalid> { fresh.receive("not a message".toByteArray()) }
                fresh.finish()
                assertThrows<HomevisitException.Invalid> { fresh.finish() }
                assertThrows<HomevisitException.Invalid> { a.startPeerExchange(visit, "Elena Rivera") }
            }
        }
    }
}
