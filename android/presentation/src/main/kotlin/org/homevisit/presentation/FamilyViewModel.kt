package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.NoteField

data class Child(val firstName: String, val grade: String)

data class FamilyState(
    val loading: Boolean = true,
    val name: String = "",
    val language: String = "",
    val interpreterNeeded: Boolean = false,
    val children: List<Child> = emptyList(),
    /** Both visits (or the one so far), earliest first. */
    val visits: List<VisitRow> = emptyList(),
    /** What the family shared at visit 1: the second visit starts from it. */
    val firstVisitHopes: String? = null,
    val problem: Problem? = null,
)

class FamilyViewModel(private val app: HomevisitApp, private val familyId: String, private val scope: CoroutineScope) : AutoCloseable {
    private val _state = MutableStateFlow(FamilyState())
    val state: StateFlow<FamilyState> = _state.asStateFlow()

    private val changes = app.whenDocumentsChange { scope.launch { refresh() } }

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() {
        _state.value = try {
            val f = app.family(familyId)
            val visits = app.familyVisits(familyId).map { it.row() }
            val first = visits.firstOrNull { it.visitNumber == 1 }
            val hopes = first?.let { app.noteText(it.visitId, NoteField.HOPES_AND_DREAMS) }?.takeIf { it.isNotBlank() }
            FamilyState(
                loading = false,
                name = f.displayName,
                language = f.preferredLanguage,
                interpreterNeeded = f.interpreterNeeded,
                children = f.students.map { Child(it.firstName, it.grade) },
                visits = visits,
                firstVisitHopes = hopes,
            )
        } catch (e: HomevisitException) {
            FamilyState(loading = false, problem = Problem.of(e))
        }
    }

    override fun close() = changes.close()
}
