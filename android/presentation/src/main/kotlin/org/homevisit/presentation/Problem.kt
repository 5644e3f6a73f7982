package org.homevisit.presentation

import org.homevisit.core.HomevisitException

/** What went wrong, as a screen explains it (the ui module words it in the user's language). */
enum class Problem {
    OFFLINE,
    INVITE_NOT_ACCEPTED,
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

        /**
         * `SyncStatus.lastError` is only the public message of the error (the FFI has no typed
         * kind for it), so the reason is read from the message's known wording.
         */
        fun ofSyncMessage(message: String?): Problem? = when {
            message == null -> null
            "revoked" in message -> REVOKED
            "could not be reached" in message -> OFFLINE
            "refused this phone" in message -> INVITE_NOT_ACCEPTED
            "retry shortly" in message -> BUSY_RELAY
            "https" in message -> INSECURE_ADDRESS
            "HTTP" in message -> RELAY_REFUSED
            else -> UNEXPECTED
        }
    }
}
