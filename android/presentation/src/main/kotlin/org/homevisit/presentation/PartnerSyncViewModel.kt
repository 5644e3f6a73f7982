package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException

/**
 * A connection to the partner's phone that carries whole messages (Nearby Connections' byte
 * payloads in the app; an in-memory pipe in tests). The shell opens it; this view model only
 * sends and receives.
 */
interface PartnerChannel {
    suspend fun send(message: ByteArray)

    /** The partner's next message; null once the connection closed. */
    suspend fun receive(): ByteArray?
}

sealed interface PartnerSyncState {
    data object Idle : PartnerSyncState
    data object Exchanging : PartnerSyncState

    /** [changed]: the partner's records that changed here (their words arrived). */
    data class Done(val changed: Int, val refused: Int) : PartnerSyncState
    data class Failed(val problem: Problem) : PartnerSyncState
}

/**
 * Phone to phone in the car, no signal: the two partners' phones bring one shared visit's log and
 * notes together over [PartnerChannel]. The core decides what crosses (that visit only, checked
 * like anything received); this runs the exchange. The phone whose educator id sorts first starts,
 * so both agree without asking; an empty message says "I have nothing more" and ends it for both.
 */
class PartnerSyncViewModel(
    private val app: HomevisitApp,
    private val visitId: String,
    private val myId: String,
    private val partnerId: String,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow<PartnerSyncState>(PartnerSyncState.Idle)
    val state: StateFlow<PartnerSyncState> = _state.asStateFlow()

    fun start(channel: PartnerChannel): Job = scope.launch {
        _state.value = PartnerSyncState.Exchanging
        _state.value = try {
            exchangeOver(channel)
        } catch (e: HomevisitException) {
            PartnerSyncState.Failed(Problem.of(e))
        }
    }

    private suspend fun exchangeOver(channel: PartnerChannel): PartnerSyncState {
        val exchange = app.startPeerExchange(visitId, partnerId)
        try {
            if (myId < partnerId) channel.send(exchange.firstMessage())
            while (true) {
                val message = channel.receive() ?: break // the connection closed
                if (message.isEmpty()) break // the partner has nothing more
                val reply = exchange.receive(message)
                if (reply == null) {
                    channel.send(ByteArray(0))
                    break
                }
                channel.send(reply)
            }
        } catch (e: HomevisitException) {
            // What arrived is kept; this only saves what each phone is known to have.
            runCatching { exchange.finish() }
            throw e
        }
        val summary = exchange.finish()
        return PartnerSyncState.Done(summary.documentsChanged.toInt(), summary.documentsRefused.toInt())
    }
}
