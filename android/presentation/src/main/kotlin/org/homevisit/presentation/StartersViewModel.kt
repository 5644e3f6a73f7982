package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException

data class StartersState(
    val loading: Boolean = true,
    /** The language the prompts are in (the family's, or the closest the school has). */
    val language: String = "",
    val visitNumber: Int = 1,
    val title: String = "",
    val prompts: List<String> = emptyList(),
    /** False for a translation no native speaker has reviewed yet. */
    val reviewed: Boolean = true,
    val problem: Problem? = null,
)

/** Conversation starters for a visit, in the family's language (read before, not a form to fill in). */
class StartersViewModel(private val app: HomevisitApp, private val visitId: String, private val scope: CoroutineScope) {
    private val _state = MutableStateFlow(StartersState())
    val state: StateFlow<StartersState> = _state.asStateFlow()

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() {
        _state.value = try {
            val p = app.promptsForVisit(visitId)
            StartersState(false, p.language, p.visitNumber.toInt(), p.title, p.prompts, p.reviewed)
        } catch (e: HomevisitException) {
            StartersState(loading = false, problem = Problem.of(e))
        }
    }
}
