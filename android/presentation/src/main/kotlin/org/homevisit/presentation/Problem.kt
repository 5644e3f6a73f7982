package org.homevisit.presentation

import org.homevisit.core.HomevisitException
import org.homevisit.core.SyncProblem

/** What went wrong, as a screen explains it (the ui module words it in the user's language). */
enum class Problem {
    OFFLINE,
    INVITE_NOT_ACCEPTED,
    /** A scanned code that is not a homevisit enrollment link. */
    NOT_AN_INVITE,
    REVOKED,
    SIGNED_OUT,
    NOT_ENROLLED,
    INSECURE_ADDRESS,
    BUSY_RELAY,
    RELAY_REFUSED,
    NOT_ALLOWED,
    NOT_FOUND,
    DAMAGED,
    UNEXPECTED,
    ;

    companion object {
        fun of(e: Throwable): Problem = when (e) {
            is HomevisitException.Offline -> OFFLINE
            is HomevisitException.Unauthorized -> INVITE_NOT_ACCEPTED
            is HomevisitException.Revoked -> REVOKED
            is HomevisitException.Closed -> SIGNED_OUT
            is HomevisitException.NotEnrolled -> NOT_ENROLLED
            is HomevisitException.InsecureUrl -> INSECURE_ADDRESS
            is HomevisitException.RateLimited -> BUSY_RELAY
            is HomevisitException.Relay -> RELAY_REFUSED
            is HomevisitException.Invalid -> NOT_ALLOWED
            is HomevisitException.NotFound -> NOT_FOUND
            is HomevisitException.Corrupt, is HomevisitException.WrongKey, is HomevisitException.NewerVersion -> DAMAGED
            else -> UNEXPECTED
        }

        /** Why the last sync failed, from the library's typed reason (`SyncStatus.lastFailure`). */
        fun ofSyncProblem(problem: SyncProblem?): Problem? = when (problem) {
            null -> null
            SyncProblem.OFFLINE -> OFFLINE
            SyncProblem.UNAUTHORIZED -> INVITE_NOT_ACCEPTED
            SyncProblem.REVOKED -> REVOKED
            SyncProblem.RATE_LIMITED -> BUSY_RELAY
            SyncProblem.INSECURE_URL -> INSECURE_ADDRESS
            SyncProblem.RELAY_REFUSED -> RELAY_REFUSED
            SyncProblem.UNEXPECTED -> UNEXPECTED
        }
    }
}
