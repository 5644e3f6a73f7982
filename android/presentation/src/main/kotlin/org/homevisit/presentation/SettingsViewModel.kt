package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.DeviceRole
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException

enum class Role { EDUCATOR, SCHOOL_COORDINATOR, DISTRICT_ADMIN }

/** Shown before signing out: what would be lost. */
data class SignOutWarning(
    /** Changes not on the relay: signing out deletes them for good. */
    val unsynced: Int,
    /** Why they could not be sent just now (no connection...), if a last try failed. */
    val why: Problem?,
)

data class SettingsState(
    val loading: Boolean = true,
    val role: Role? = null,
    val name: String? = null,
    val school: String? = null,
    /** Whether the school shares visit notes with its coordinators (null before the first sync). */
    val notesShared: Boolean? = null,
    val checking: Boolean = false,
    val warning: SignOutWarning? = null,
    val signedOut: SignedOut? = null,
    val problem: Problem? = null,
)

/** Who I am; sign out and wipe, after showing what would be lost. */
class SettingsViewModel(private val app: HomevisitApp, private val scope: CoroutineScope) {
    private val _state = MutableStateFlow(SettingsState())
    val state: StateFlow<SettingsState> = _state.asStateFlow()

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() {
        try {
            val me = app.whoami()
            val roster = app.roster()
            val shared = app.schoolSharesNotes()
            _state.update {
                it.copy(
                    loading = false,
                    role = me?.role?.let { r ->
                        when (r) {
                            DeviceRole.EDUCATOR -> Role.EDUCATOR
                            DeviceRole.SCHOOL_COORDINATOR -> Role.SCHOOL_COORDINATOR
                            DeviceRole.DISTRICT_ADMIN -> Role.DISTRICT_ADMIN
                        }
                    },
                    name = me?.educatorId?.let { id -> roster.educators.firstOrNull { e -> e.id == id }?.displayName },
                    school = me?.schoolId?.let { id -> roster.schools.firstOrNull { s -> s.id == id }?.name },
                    notesShared = shared,
                )
            }
        } catch (e: HomevisitException) {
            failed(e)
        }
    }

    /** "Sign out": first tries to send what is waiting, then says what signing out would delete. */
    fun requestSignOut() {
        _state.update { it.copy(checking = true) }
        scope.launch {
            val why = try {
                app.syncNow()
                null
            } catch (e: HomevisitException) {
                Problem.of(e)
            }
            try {
                val unsynced = app.unsyncedCount().toInt()
                _state.update { it.copy(checking = false, warning = SignOutWarning(unsynced, why)) }
            } catch (e: HomevisitException) {
                failed(e)
            }
        }
    }

    fun cancelSignOut() = _state.update { it.copy(warning = null) }

    /** The user saw the warning and still signs out: the phone's store is deleted. */
    fun confirmSignOut() {
        scope.launch {
            try {
                app.signOutAndWipe()
                _state.value = SettingsState(loading = false, signedOut = SignedOut.BY_USER)
            } catch (e: HomevisitException) {
                failed(e)
            }
        }
    }

    private fun failed(e: HomevisitException) {
        _state.update {
            when (Problem.of(e)) {
                Problem.REVOKED -> SettingsState(loading = false, signedOut = SignedOut.REVOKED)
                Problem.SIGNED_OUT -> SettingsState(loading = false, signedOut = SignedOut.BY_USER)
                else -> it.copy(loading = false, checking = false, problem = Problem.of(e))
            }
        }
    }
}
