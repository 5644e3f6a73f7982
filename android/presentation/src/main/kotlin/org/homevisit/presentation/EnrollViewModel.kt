package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.parseEnrollLink

data class EnrollState(
    val relayUrl: String = "",
    val inviteCode: String = "",
    val busy: Boolean = false,
    val enrolled: Boolean = false,
    val problem: Problem? = null,
) {
    val canEnroll: Boolean get() = !busy && relayUrl.isNotBlank() && inviteCode.isNotBlank()
}

/** First run: the invite code a coordinator gave (and the district's relay address). */
class EnrollViewModel(
    private val app: HomevisitApp,
    private val scope: CoroutineScope,
    defaultRelayUrl: String = "",
) {
    private val _state = MutableStateFlow(EnrollState(relayUrl = defaultRelayUrl))
    val state: StateFlow<EnrollState> = _state.asStateFlow()

    fun onRelayUrl(url: String) = _state.update { it.copy(relayUrl = url, problem = null) }

    fun onInviteCode(code: String) = _state.update { it.copy(inviteCode = code, problem = null) }

    /**
     * A scanned QR code (or an opened link): an enrollment link fills both fields and enrolls at
     * once; anything else is refused as not an invite, and nothing is sent.
     */
    fun onScanned(text: String) {
        val link = try {
            parseEnrollLink(text)
        } catch (e: HomevisitException) {
            _state.update { it.copy(problem = Problem.NOT_AN_INVITE) }
            return
        }
        _state.update { it.copy(relayUrl = link.relayUrl, inviteCode = link.inviteCode, problem = null) }
        enroll()
    }

    fun enroll() {
        val s = _state.value
        if (!s.canEnroll) return
        _state.update { it.copy(busy = true, problem = null) }
        scope.launch {
            try {
                app.enroll(s.relayUrl.trim(), s.inviteCode.trim())
                // The first sync brings the roster and visits; a failure here is not an enrollment failure.
                runCatching { app.syncNow() }
                _state.update { it.copy(busy = false, enrolled = true) }
            } catch (e: HomevisitException) {
                _state.update { it.copy(busy = false, problem = Problem.of(e)) }
            }
        }
    }
}
