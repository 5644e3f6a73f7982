package org.homevisit.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Two visits, one family: the family's record (language, interpreter need, children's first names
 * and grades) and the family's visits, so before visit 2 the pair rereads visit 1's hopes and
 * dreams. One phone (Elena Rivera's) enrolled with a relay for the class.
 */
class FamiliesTest : EnrolledPhonePerClass("families", "Elena Rivera") {
    @Test
    fun `the family record has language, interpreter need and children`(): Unit = runBlocking {
        val roster = app.roster()
        val morales = roster.family("Morales family")
        val family = app.family(morales.id)
        assertEquals(morales.id, family.id)
        assertEquals(morales.schoolId, family.schoolId)
        assertEquals(morales.displayName, family.displayName)
        assertEquals("es", family.preferredLanguage)
        assertTrue(family.interpreterNeeded)
        assertEquals(listOf(Student(firstName = "Sofia", grade = "2"), Student(firstName = "Mateo", grade = "K")), family.students)
        assertFalse(app.family(roster.family("Brooks family").id).interpreterNeeded)
        assertThrows<HomevisitException.Invalid> { app.family("not-a-uuid") }
        assertThrows<HomevisitException.NotFound> { app.family("0b6b7f1e-3c1e-4f7a-9d3e-5b2f7d1e0a11") }
    }

    @Test
    fun `before the second visit the pair rereads the first`(): Unit = runBlocking {
        val (rivera, okafor, family) = app.partners()
        val before = app.familyVisits(family.id).map { it.visitId }.toSet()
        val first = app.planVisit(planFor(family, listOf(rivera, okafor)).copy(scheduledAtMs = 1_790_000_000_000))
        val hopes = "That she reads to her little brother."
        app.spliceNote(first, NoteField.HOPES_AND_DREAMS, 0u, 0u, hopes)
        val second = app.planVisit(
            planFor(family, listOf(rivera, okafor)).copy(visitNumber = 2u, scheduledAtMs = 1_800_000_000_000),
        )

        val all = app.familyVisits(family.id)
        val visits = all.filter { it.visitId !in before }
        assertEquals(listOf(first to 1.toUByte(), second to 2.toUByte()), visits.map { it.visitId to it.visitNumber }, "earliest first")
        assertTrue(all.all { it.familyId == family.id }, "only this family's visits: $all")
        val earlier = visits.first { it.visitNumber == 1.toUByte() }
        assertEquals(hopes, app.noteText(earlier.visitId, NoteField.HOPES_AND_DREAMS))
        // Another family's visits are not listed.
        val other = app.roster().families.first { it.id != family.id && it.schoolId == family.schoolId }
        assertTrue(app.familyVisits(other.id).none { it.visitId == first || it.visitId == second })
        assertThrows<HomevisitException.Invalid> { app.familyVisits("family-1") }
    }
}
