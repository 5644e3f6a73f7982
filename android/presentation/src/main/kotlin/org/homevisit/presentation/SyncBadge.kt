package org.homevisit.presentation

import org.homevisit.core.SyncStatus

/** The small sync sign on Today: what a teacher needs at a glance. */
enum class SyncBadge { UP_TO_DATE, SYNCING, WAITING, OFFLINE, NOT_ENROLLED, SIGNED_OUT }

internal fun badgeOf(status: SyncStatus, syncing: Boolean): SyncBadge = when {
    status.revoked -> SyncBadge.SIGNED_OUT
    !status.enrolled -> SyncBadge.NOT_ENROLLED
    syncing -> SyncBadge.SYNCING
    Problem.ofSyncProblem(status.lastFailure) == Problem.OFFLINE -> SyncBadge.OFFLINE
    status.unsynced > 0u -> SyncBadge.WAITING
    else -> SyncBadge.UP_TO_DATE
}
