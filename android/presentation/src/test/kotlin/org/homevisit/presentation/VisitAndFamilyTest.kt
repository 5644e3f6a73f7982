package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.homevisit.core.NoteField
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class VisitAndFamilyTest : PartnerPhones("visit") {
    private suspend fun plan(family: String, number: Int = 1): String {
        val roster = a.roster()
        return a.planVisit(planFor(roster.family(family), listOf(roster.educator("Elena Rivera"), roster.educator("Grace Okafor")), number))
    }

    @Test
    fun `the family's agreement, the outcome and the partner's confirmation, across both phones`() = runTest(timeout = 3.minutes) {
        val visit = plan("Morales family")
        val elena = a.whoami()!!.educatorId
        val grace = b.whoami()!!.educatorId
        VisitViewModel(a, visit, elena, backgroundScope).use { vm ->
            val planned = vm.state.await("loaded") { !it.loading }
            assertEquals("Morales family", planned.familyName)
            assertEquals("es", planned.familyLanguage)
            assertTrue(planned.interpreterNeeded)
            assertEquals(listOf("Elena Rivera", "Grace Okafor"), planned.educatorNames)
            assertFalse(planned.familyAgreed)

            vm.recordFamilyAgreement()
            vm.state.await("agreement recorded") { it.familyAgreed }
            vm.recordOutcome(VisitStage.COMPLETED)
            val done = vm.state.await("outcome recorded") { it.stage == VisitStage.COMPLETED }
            assertFalse(done.canConfirm, "the one who recorded it does not confirm it")
        }
        syncUntil(a, b) { runCatching { b.visit(visit).outcome.recordedBy != null }.getOrDefault(false) }
        VisitViewModel(b, visit, grace, backgroundScope).use { vm ->
            assertTrue(vm.state.await("loaded on Grace's phone") { !it.loading && it.stage == VisitStage.COMPLETED }.canConfirm)
            vm.confirmAsPartner()
            val confirmed = vm.state.await("confirmed") { it.confirmedByName != null }
            assertEquals("Grace Okafor", confirmed.confirmedByName)
            assertFalse(confirmed.canConfirm)
        }
    }

    @Test
    fun `conversation starters come in the family's language`() = runTest(timeout = 3.minutes) {
        val spanish = StartersViewModel(a, plan("Lopez family"), backgroundScope).state.await("loaded") { !it.loading }
        assertTrue(spanish.language.startsWith("es"), spanish.language)
        assertTrue(spanish.prompts.isNotEmpty())
        val english = StartersViewModel(a, plan("Mensah family"), backgroundScope).state.await("loaded") { !it.loading }
        assertTrue(english.language.startsWith("en"), english.language)
        assertTrue(english.prompts.toSet().intersect(spanish.prompts.toSet()).isEmpty(), "different words")
    }

    @Test
    fun `the family shows both visits and the second starts from the first's hopes and dreams`() = runTest(timeout = 3.minutes) {
        val family = a.roster().family("Nguyen family")
        // The demo district may already hold this family's first visit; if not, Elena plans it.
        val first = a.familyVisits(family.id).firstOrNull { it.visitNumber.toInt() == 1 }?.visitId ?: plan("Nguyen family")
        if (a.noteText(first, NoteField.HOPES_AND_DREAMS).isBlank()) {
            a.spliceNote(first, NoteField.HOPES_AND_DREAMS, 0u, 0u, "Linh wants to draw comics.")
        }
        val hopes = a.noteText(first, NoteField.HOPES_AND_DREAMS)
        FamilyViewModel(a, family.id, backgroundScope).use { vm ->
            val before = vm.state.await("the family") { !it.loading }
            assertEquals("Nguyen family", before.name)
            assertEquals("vi", before.language)
            assertTrue(before.interpreterNeeded)
            assertEquals(hopes, before.firstVisitHopes)
            assertFalse(before.visits.any { it.visitNumber == 2 })

            // "Plan the second visit" from the family: the planning screen starts with the family
            // and visit 2 chosen, and offers the interpreter the family asked for.
            val planning = PlanVisitViewModel(a, a.whoami()!!.educatorId!!, backgroundScope, familyId = family.id, visitNumber = 2)
            val preset = planning.state.await("planning with the family chosen") { !it.loading && it.interpreterLanguage != null }
            assertEquals(2, preset.visitNumber)
            assertEquals("vi", preset.interpreterLanguage)
            assertTrue(preset.withInterpreter)
            planning.choosePartner(a.roster().educator("Grace Okafor").id)
            planning.save()
            val second = planning.state.await("planned") { it.plannedVisitId != null || it.problem != null }.plannedVisitId
                ?: error("planning failed: ${planning.state.value.problem}")
            assertEquals("vi", a.visit(second).plan.interpreter?.language)
            VisitViewModel(a, second, a.whoami()!!.educatorId, backgroundScope).use { visit2 ->
                assertEquals(hopes, visit2.state.await("visit 2") { !it.loading }.firstVisitHopes)
            }
            vm.refresh()
            val both = vm.state.await("both visits") { s -> s.visits.any { it.visitId == second } }
            assertEquals(2, both.visits.last { it.visitId == second }.visitNumber)
            assertTrue(both.visits.indexOfFirst { it.visitId == first } < both.visits.indexOfFirst { it.visitId == second })
            assertEquals(hopes, both.firstVisitHopes, "visit 2 starts from what the family shared at visit 1")
            assertTrue(both.children.isNotEmpty())
        }
    }
}
