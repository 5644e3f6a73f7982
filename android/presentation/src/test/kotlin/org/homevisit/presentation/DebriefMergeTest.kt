package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.homevisit.core.NoteField
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Elena (A, through the view model) and Grace (B, straight through the library) write the same
 * debrief field. Elena's words and cursor survive each merge of Grace's words.
 */
class DebriefMergeTest : PartnerPhones("debrief") {
    private suspend fun sharedVisit(family: String): String {
        val roster = a.roster()
        val id = a.planVisit(planFor(roster.family(family), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor"))))
        syncUntil(a, b) { runCatching { b.visit(id) }.isSuccess }
        return id
    }

    /** What the user typed so far ends right at their cursor. */
    private fun FieldState.cursorAfter(words: String) =
        selection.start == selection.end && text.substring(0, selection.start).endsWith(words)

    @Test
    fun `the partner's words merge in while the user's words and cursor stay`() = runTest(timeout = 3.minutes) {
        val visit = sharedVisit("Morales family")
        val me = a.whoami()!!.educatorId
        NotesViewModel(a, visit, debrief = true, me = me, scope = backgroundScope).use { vm ->
            vm.state.await("debrief loaded, live") { !it.loading && it.live }
            val mine = "Sofia loves soccer."
            vm.onEdit(NoteField.LEARNED, mine, TextSelection(mine.length))
            eventually("Elena's words stored") { a.noteText(visit, NoteField.LEARNED) == mine }
            syncUntil(a, b) { b.noteText(visit, NoteField.LEARNED) == mine }

            // Elena types on at the end; then Grace writes before Elena's sentence on her phone.
            // (Elena's keystroke is stored before Grace's words can arrive: see the README's
            // known gaps for the window in which they could cross.)
            val more = "$mine She"
            vm.onEdit(NoteField.LEARNED, more, TextSelection(more.length))
            eventually("Elena's next word stored") { a.noteText(visit, NoteField.LEARNED) == more }
            val theirs = "Dad coaches her team. "
            b.spliceNote(visit, NoteField.LEARNED, 0u, 0u, theirs)

            // Both syncs run (live mode may already have done it): the view model hears the change.
            syncUntil(b, a) { a.noteText(visit, NoteField.LEARNED) == theirs + more }
            val merged = vm.state.await("Grace's words on Elena's screen") { it.field(NoteField.LEARNED).text == theirs + more }
            val field = merged.field(NoteField.LEARNED)
            assertTrue(field.cursorAfter(more), "the cursor is still right after Elena's words: $field")
            assertEquals(theirs.length + more.length, field.selection.start)
            assertTrue(NoteField.LEARNED in merged.partnerEdited)

            // Elena moves her cursor into her sentence ("Sofia| loves"); Grace adds after it: the
            // cursor does not move. Then Grace adds before it: it moves by exactly her words.
            val cursor = theirs.length + "Sofia".length
            vm.onEdit(NoteField.LEARNED, theirs + more, TextSelection(cursor))
            val tail = " We will ask about her games."
            b.syncNow()
            b.spliceNote(visit, NoteField.LEARNED, b.noteText(visit, NoteField.LEARNED).length.toUInt(), 0u, tail)
            syncUntil(b, a) { a.noteText(visit, NoteField.LEARNED).endsWith(tail) }
            val s1 = vm.state.await("the words after the cursor") { it.field(NoteField.LEARNED).text.endsWith(tail) }
            assertEquals(TextSelection(cursor), s1.field(NoteField.LEARNED).selection)

            val head = "Grace: "
            b.spliceNote(visit, NoteField.LEARNED, 0u, 0u, head)
            syncUntil(b, a) { a.noteText(visit, NoteField.LEARNED).startsWith(head) }
            val s2 = vm.state.await("the words before the cursor") { it.field(NoteField.LEARNED).text.startsWith(head) }
            assertEquals(TextSelection(cursor + head.length), s2.field(NoteField.LEARNED).selection)
            assertTrue(s2.field(NoteField.LEARNED).text.substring(0, cursor + head.length).endsWith("Sofia"))

            // Elena types at her cursor: her word lands there, on both phones.
            val f = s2.field(NoteField.LEARNED)
            val typed = f.text.substring(0, f.selection.start) + " really" + f.text.substring(f.selection.start)
            vm.onEdit(NoteField.LEARNED, typed, TextSelection(f.selection.start + " really".length))
            syncUntil(a, b) { b.noteText(visit, NoteField.LEARNED) == typed }
            assertEquals("Grace: Dad coaches her team. Sofia really loves soccer. She We will ask about her games.", typed)
        }
    }

    @Test
    fun `debrief done is marked by one partner and seen by the other`() = runTest(timeout = 3.minutes) {
        val visit = sharedVisit("Nguyen family")
        val grace = b.whoami()!!.educatorId
        val names = b.roster().educators.associate { it.id to it.displayName }
        NotesViewModel(a, visit, debrief = true, me = a.whoami()!!.educatorId, scope = backgroundScope, names = names).use { elena ->
            elena.state.await("loaded") { !it.loading && it.done == null }
            NotesViewModel(b, visit, debrief = true, me = grace, scope = backgroundScope, names = names).use { vm ->
                vm.state.await("loaded") { !it.loading }
                vm.setDone(true)
                val done = vm.state.await("marked done") { it.done != null }
                assertEquals("Grace Okafor", done.done!!.byName)
                syncUntil(b, a) { a.debriefDone(visit) != null }
                val seen = elena.state.await("Elena sees it") { it.done != null }
                assertEquals("Grace Okafor", seen.done!!.byName)
                assertTrue(b.syncStatus().live, "live while the debrief is open")
            }
            // Leaving the debrief ends live mode (battery).
            eventually("Grace's phone out of live mode") { !b.syncStatus().live }
        }
    }
}
