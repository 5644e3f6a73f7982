package org.homevisit.presentation

import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException

/** Why a phone's data is gone: the user signed out, or the district revoked the phone. */
enum class SignedOut { BY_USER, REVOKED }

data class TodayState(
    val loading: Boolean = true,
    val visits: List<VisitRow> = emptyList(),
    val badge: SyncBadge = SyncBadge.UP_TO_DATE,
    val unsynced: Int = 0,
    val signedOut: SignedOut? = null,
    val problem: Problem? = null,
)

/**
 * Today's visits, the sync badge and how many changes wait for upload. Refreshes itself when a
 * sync brings changes (a partner planned a visit) and when a sync ends.
 */
class TodayViewModel(private val app: HomevisitApp, private val scope: CoroutineScope) : AutoCloseable {
    private val _state = MutableStateFlow(TodayState())
    val state: StateFlow<TodayState> = _state.asStateFlow()
    private val refreshing = Mutex()
    private val syncing = AtomicBoolean(false)

    private val changes = app.whenDocumentsChange { scope.launch { refresh() } }
    private val finished = app.whenSyncFinishes { scope.launch { refresh() } }

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() = refreshing.withLock {
        try {
            val visits = app.todaysVisits().map { it.row() }
            val status = app.syncStatus()
            // Revoked between the two calls (a background sync): the data is gone, show none of it.
            if (status.revoked) throw HomevisitException.Revoked()
            _state.update {
                it.copy(
                    loading = false,
                    visits = visits,
                    badge = badgeOf(status, syncing.get()),
                    unsynced = status.unsynced.toInt(),
                    signedOut = null,
                    problem = null,
                )
            }
        } catch (e: HomevisitException) {
            failed(e)
        }
    }

    /** "Sync now" (pull to refresh). */
    fun syncNow() {
        // Syncing from this call on (not from when the coroutine starts): a refresh already under
        // way must not show "up to date" over it.
        syncing.set(true)
        _state.update { it.copy(badge = SyncBadge.SYNCING) }
        scope.launch {
            try {
                app.syncNow()
            } catch (e: HomevisitException) {
                failed(e)
            } finally {
                syncing.set(false)
            }
            refresh()
        }
    }

    private fun failed(e: HomevisitException) {
        val problem = Problem.of(e)
        _state.update {
            when (problem) {
                // The phone's data is gone: nothing of it may stay on screen.
                Problem.REVOKED -> TodayState(loading = false, badge = SyncBadge.SIGNED_OUT, signedOut = SignedOut.REVOKED)
                Problem.SIGNED_OUT -> TodayState(loading = false, badge = SyncBadge.SIGNED_OUT, signedOut = SignedOut.BY_USER)
                Problem.OFFLINE -> it.copy(loading = false, badge = SyncBadge.OFFLINE, problem = problem)
                else -> it.copy(loading = false, problem = problem)
            }
        }
    }

    override fun close() {
        changes.close()
        finished.close()
    }
}
