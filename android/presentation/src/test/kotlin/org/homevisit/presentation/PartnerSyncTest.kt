package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.test.runTest
import org.homevisit.core.HomevisitException
import org.homevisit.core.NoteField
import org.homevisit.core.RelayPerTest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** An in-memory connection between two phones: what one sends, the other receives, in order. */
private class Pipe(private val outgoing: Channel<ByteArray>, private val incoming: Channel<ByteArray>) : PartnerChannel {
    override suspend fun send(message: ByteArray) = outgoing.send(message)
    override suspend fun receive(): ByteArray? = incoming.receiveCatching().getOrNull()

    companion object {
        fun pair(): Pair<Pipe, Pipe> {
            val (ab, ba) = Channel<ByteArray>(Channel.UNLIMITED) to Channel<ByteArray>(Channel.UNLIMITED)
            return Pipe(ab, ba) to Pipe(ba, ab)
        }
    }
}

class PartnerSyncTest : RelayPerTest("partner") {
    @Test
    fun `in the car with no signal the partners' debriefs merge phone to phone, and nothing else crosses`() = runTest(timeout = 3.minutes) {
        enrolledPhone(tmp.resolve("rivera"), relay, "Elena Rivera").use { a ->
            enrolledPhone(tmp.resolve("okafor"), relay, "Grace Okafor").use { b ->
                val roster = a.roster()
                val (rivera, okafor) = roster.educator("Elena Rivera") to roster.educator("Grace Okafor")
                val visit = a.planVisit(planFor(roster.family("Brooks family"), listOf(rivera, okafor)))
                val other = a.planVisit(planFor(roster.family("Brooks family"), listOf(rivera, roster.educator("David Chen"))))
                syncUntil(a, b) { runCatching { b.visit(visit) }.isSuccess }
                a.shutdown()
                b.shutdown()
                relay.close() // no signal from here on

                a.spliceNote(visit, NoteField.LEARNED, 0u, 0u, "Jayden loves soccer.")
                b.spliceNote(visit, NoteField.LEARNED, 0u, 0u, "He draws dragons. ")
                a.spliceNote(other, NoteField.LEARNED, 0u, 0u, "Only for the other visit.")
                val (pipeA, pipeB) = Pipe.pair()
                val onA = PartnerSyncViewModel(a, visit, rivera.id, okafor.id, backgroundScope)
                val onB = PartnerSyncViewModel(b, visit, okafor.id, rivera.id, backgroundScope)
                val jobs = listOf(onA.start(pipeA), onB.start(pipeB))
                jobs.forEach { it.join() }

                assertEquals(PartnerSyncState.Done(changed = 1, refused = 0), onA.state.value)
                assertEquals(PartnerSyncState.Done(changed = 1, refused = 0), onB.state.value)
                val text = a.noteText(visit, NoteField.LEARNED)
                assertEquals(text, b.noteText(visit, NoteField.LEARNED))
                assertTrue("Jayden loves soccer." in text && "He draws dragons." in text, text)
                assertThrows<HomevisitException.NotFound> { b.noteText(other, NoteField.LEARNED) }
            }
        }
    }

    @Test
    fun `a dropped connection ends the exchange and keeps what arrived`() = runTest(timeout = 3.minutes) {
        enrolledPhone(tmp.resolve("rivera"), relay, "Elena Rivera").use { a ->
            val roster = a.roster()
            val (rivera, okafor) = roster.educator("Elena Rivera") to roster.educator("Grace Okafor")
            val visit = a.planVisit(planFor(roster.family("Brooks family"), listOf(rivera, okafor)))
            val closed = object : PartnerChannel {
                override suspend fun send(message: ByteArray) {}
                override suspend fun receive(): ByteArray? = null
            }
            val vm = PartnerSyncViewModel(a, visit, rivera.id, okafor.id, backgroundScope)
            vm.start(closed).join()
            assertEquals(PartnerSyncState.Done(changed = 0, refused = 0), vm.state.value)
            val garbled = object : PartnerChannel {
                private var sent = false
                override suspend fun send(message: ByteArray) {}
                override suspend fun receive(): ByteArray? = if (sent) null else "not a message".toByteArray().also { sent = true }
            }
            vm.start(garbled).join()
            assertEquals(PartnerSyncState.Failed(Problem.NOT_ALLOWED), vm.state.value)
        }
    }
}
