package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException

data class SyncStatusState(
    val loading: Boolean = true,
    val enrolled: Boolean = false,
    val live: Boolean = false,
    val syncing: Boolean = false,
    val lastSuccessMs: Long? = null,
    /** Changes (documents) this phone holds that the relay does not have yet. */
    val waiting: Int = 0,
    /** Why they are waiting: the last sync's problem (no connection...), or null if none. */
    val why: Problem? = null,
    val revoked: Boolean = false,
)

/** What is waiting to be sent and why. */
class SyncStatusViewModel(private val app: HomevisitApp, private val scope: CoroutineScope) : AutoCloseable {
    private val _state = MutableStateFlow(SyncStatusState())
    val state: StateFlow<SyncStatusState> = _state.asStateFlow()

    private val finished = app.whenSyncFinishes(onProgress = { _state.update { it.copy(syncing = true) } }) {
        scope.launch { refresh() }
    }

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() {
        try {
            val s = app.syncStatus()
            _state.value = SyncStatusState(
                loading = false,
                enrolled = s.enrolled,
                live = s.live,
                lastSuccessMs = s.lastSuccessMs,
                waiting = s.unsynced.toInt(),
                why = Problem.ofSyncMessage(s.lastError),
                revoked = s.revoked,
            )
        } catch (e: HomevisitException) {
            _state.update { it.copy(loading = false, why = Problem.of(e), revoked = Problem.of(e) == Problem.REVOKED) }
        }
    }

    fun syncNow() {
        scope.launch {
            _state.update { it.copy(syncing = true) }
            try {
                app.syncNow()
            } catch (_: HomevisitException) {
                // The status below says why.
            }
            refresh()
        }
    }

    override fun close() = finished.close()
}
