package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.PendingDocument
import org.homevisit.core.RefusalReason

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
    /** Each document waiting for the relay: what it is, and why the relay refused it if it did. */
    val items: List<WaitingItem> = emptyList(),
)

/** What kind of record waits (the ui words it). */
enum class WaitingKind { VISIT_LOG, VISIT_NOTES, FAMILY, OTHER }

/** Why the relay refused a record: it stays on the phone until someone sorts it out. */
enum class Refusal { NOT_ALLOWED, DAMAGED, OVER_QUOTA }

data class WaitingItem(val kind: WaitingKind, val refused: Refusal?)

internal fun waitingItemOf(d: PendingDocument) = WaitingItem(
    kind = when (d.kind) {
        "visit-log" -> WaitingKind.VISIT_LOG
        "visit-notes" -> WaitingKind.VISIT_NOTES
        "family" -> WaitingKind.FAMILY
        else -> WaitingKind.OTHER
    },
    refused = when (d.refused) {
        null -> null
        RefusalReason.NOT_ALLOWED -> Refusal.NOT_ALLOWED
        RefusalReason.DAMAGED -> Refusal.DAMAGED
        RefusalReason.OVER_QUOTA -> Refusal.OVER_QUOTA
    },
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
            // Refused ones first: they need a person, the rest only a signal.
            val items = if (s.revoked) emptyList() else app.pendingDocuments().map(::waitingItemOf).sortedBy { it.refused == null }
            _state.value = SyncStatusState(
                loading = false,
                enrolled = s.enrolled,
                live = s.live,
                lastSuccessMs = s.lastSuccessMs,
                waiting = s.unsynced.toInt(),
                why = Problem.ofSyncProblem(s.lastFailure),
                revoked = s.revoked,
                items = items,
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
