package org.homevisit.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import org.homevisit.presentation.SettingsState
import org.homevisit.presentation.SignedOut

/** Who I am; sign out and wipe, after saying what would be lost. */
@Composable
fun SettingsScreen(
    state: SettingsState,
    onBack: () -> Unit,
    onSignOut: () -> Unit,
    onCancelSignOut: () -> Unit,
    onConfirmSignOut: () -> Unit,
) {
    Screen(strings.settingsTitle, onBack = onBack) {
        if (state.signedOut != null) {
            Text(if (state.signedOut == SignedOut.REVOKED) strings.signedOutRevoked else strings.signedOutByUser, style = MaterialTheme.typography.bodyLarge)
            return@Screen
        }
        Labelled(strings.whoIAm, listOfNotNull(state.name, state.role?.let { strings.role(it) }, state.school).joinToString("\n"))
        Labelled(strings.whoReadsMyNotes, strings.notesPolicy(state.notesShared))
        ProblemText(state.problem)
        OutlinedButton(
            onClick = onSignOut, enabled = !state.checking, modifier = Modifier.fillMaxWidth(),
            colors = ButtonDefaults.outlinedButtonColors(contentColor = MaterialTheme.colorScheme.error),
        ) { Text(if (state.checking) strings.checkingWhatWouldBeLost else strings.signOut) }
    }
    val warning = state.warning
    if (warning != null) {
        AlertDialog(
            onDismissRequest = onCancelSignOut,
            title = { Text(strings.signOutQuestion) },
            text = {
                Text(
                    listOfNotNull(
                        if (warning.unsynced == 0) strings.signOutLosesNothing else strings.signOutLoses(warning.unsynced),
                        warning.why?.let { strings.problem(it) },
                    ).joinToString("\n\n"),
                )
            },
            confirmButton = {
                Button(onClick = onConfirmSignOut, colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error)) {
                    Text(strings.signOutAndWipe)
                }
            },
            dismissButton = { TextButton(onClick = onCancelSignOut) { Text(strings.cancel) } },
        )
    }
}
