package org.homevisit.core

import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * A coordinator's report on the phone: Dana Johnson's phone, synced with the demo relay, reports
 * its school's reach and staff participation and visits per educator, counted from the roster and
 * visits it holds.
 */
class ReportTest : EnrolledPhonePerClass("report", "Dana Johnson") {
    @Test
    fun `the coordinator's phone reports its school's reach, staff and educators`(): Unit = runBlocking {
        val school = app.whoami()!!.schoolId
        val roster = app.roster()
        val staff = roster.educators.filter { it.schoolId == school }
        val enrolled = roster.families.filter { it.schoolId == school }.sumOf { app.family(it.id).students.size }
        val today = LocalDate.now()
        val (first, last) = today.minusDays(30).toString() to today.plusDays(10).toString()

        val report = app.coordinatorReport(first, last)
        assertEquals(first to last, report.fromDay to report.toDay)
        val mine = report.schools.single()
        assertEquals(school, mine.schoolId)
        assertEquals(enrolled.toUInt(), mine.studentsEnrolled)
        assertEquals(staff.size.toUInt(), mine.staffOnRoster)
        // The demo's completed visits at this school: two families, by three of its educators.
        assertEquals(2u, mine.familiesWithFirstVisit)
        assertEquals(3u, mine.staffParticipating)
        assertTrue(mine.studentsVisited in 1u until mine.studentsEnrolled, "$mine")
        assertEquals(100.0 * mine.studentsVisited.toDouble() / mine.studentsEnrolled.toDouble(), mine.reachPercent, 1e-9)
        assertEquals(mine.studentsVisited * 10u >= mine.studentsEnrolled, mine.meetsReachThreshold)

        assertEquals(staff.map { it.id }.sorted(), report.educators.map { it.educatorId }.sorted())
        val chen = report.educators.first { it.displayName == "David Chen" }
        assertEquals(Triple(5u, 2u, 1u), Triple(chen.visits, chen.completed, chen.documented))

        assertThrows<HomevisitException.Invalid> { app.coordinatorReport("2026-13-01", last) }
        assertThrows<HomevisitException.Invalid> { app.coordinatorReport(last, first) }
    }
}
