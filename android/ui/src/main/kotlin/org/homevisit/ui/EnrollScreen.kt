package org.homevisit.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import org.homevisit.presentation.EnrollState

@Composable
fun EnrollScreen(
    state: EnrollState,
    onRelayUrl: (String) -> Unit,
    onInviteCode: (String) -> Unit,
    onEnroll: () -> Unit,
    /** Scan the coordinator's QR code instead of typing (null where no camera is offered). */
    onScanQr: (() -> Unit)? = null,
) {
    Screen(strings.enrollTitle) {
        Text(strings.enrollIntro, style = MaterialTheme.typography.bodyLarge)
        if (onScanQr != null) {
            Button(onClick = onScanQr, enabled = !state.busy, modifier = Modifier.fillMaxWidth()) { Text(strings.scanInvite) }
            Text(strings.orTypeIt, style = MaterialTheme.typography.bodyMedium)
        }
        OutlinedTextField(
            value = state.relayUrl, onValueChange = onRelayUrl, singleLine = true,
            label = { Text(strings.relayAddress) }, modifier = Modifier.fillMaxWidth().testTag("relay"),
        )
        OutlinedTextField(
            value = state.inviteCode, onValueChange = onInviteCode, singleLine = true,
            label = { Text(strings.inviteCode) }, modifier = Modifier.fillMaxWidth().testTag("invite"),
        )
        ProblemText(state.problem)
        Button(onClick = onEnroll, enabled = state.canEnroll, modifier = Modifier.fillMaxWidth()) {
            Text(if (state.busy) strings.enrolling else strings.enrollButton)
        }
    }
}
