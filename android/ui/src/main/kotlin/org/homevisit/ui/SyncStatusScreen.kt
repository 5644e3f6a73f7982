package org.homevisit.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import org.homevisit.presentation.SyncStatusState

/** What is waiting to be sent, and why. */
@Composable
fun SyncStatusScreen(state: SyncStatusState, onBack: () -> Unit, onSyncNow: () -> Unit) {
    Screen(strings.syncTitle, onBack = onBack) {
        if (state.revoked) {
            Text(strings.signedOutRevoked, style = MaterialTheme.typography.bodyLarge)
            return@Screen
        }
        Text(if (state.waiting == 0) strings.nothingWaiting else strings.waiting(state.waiting), style = MaterialTheme.typography.titleMedium)
        state.why?.let { Labelled(strings.why, strings.problem(it)) }
        state.items.forEach { Text(strings.waitingItem(it), style = MaterialTheme.typography.bodyMedium) }
        Text(state.lastSuccessMs?.let { strings.lastSynced(formatTime(it)) } ?: strings.neverSynced)
        if (state.live) Text(strings.liveModeExplained, color = MaterialTheme.colorScheme.secondary)
        Button(onClick = onSyncNow, enabled = !state.syncing && state.enrolled, modifier = Modifier.fillMaxWidth()) {
            Text(if (state.syncing) strings.badge(org.homevisit.presentation.SyncBadge.SYNCING) else strings.syncNow)
        }
    }
}
