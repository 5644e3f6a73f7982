package org.homevisit.ui

import org.homevisit.presentation.PartnerSyncState
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.TextRange
import androidx.compose.ui.text.input.TextFieldValue
import androidx.compose.ui.unit.dp
import org.homevisit.core.NoteField
import org.homevisit.presentation.NotesState
import org.homevisit.presentation.TextSelection

/**
 * Notes (after the visit) or the pair's debrief. The text and cursor come from the view model,
 * which merges the partner's words in without moving the user's cursor or losing their words.
 */
@Composable
fun NotesScreen(
    state: NotesState,
    onBack: () -> Unit,
    onEdit: (NoteField, String, TextSelection) -> Unit,
    onDone: (Boolean) -> Unit,
    /** Phone to phone with the partner (no signal needed); null where the screen does not offer it. */
    partnerSync: PartnerSyncState? = null,
    onPartnerSync: (() -> Unit)? = null,
) {
    Screen(if (state.debrief) strings.debriefTitle else strings.notesTitle, onBack = onBack) {
        if (state.debrief) {
            Text(
                if (state.live) strings.liveOn else strings.liveOff,
                style = MaterialTheme.typography.bodyMedium,
                color = if (state.live) MaterialTheme.colorScheme.secondary else MaterialTheme.colorScheme.onBackground,
            )
        }
        ProblemText(state.problem)
        if (state.debrief && onPartnerSync != null) PartnerSyncRow(partnerSync, onPartnerSync)
        state.fields.forEach { f ->
            OutlinedTextField(
                value = TextFieldValue(f.text, TextRange(f.selection.start, f.selection.end)),
                onValueChange = { v -> onEdit(f.field, v.text, TextSelection(v.selection.start, v.selection.end)) },
                label = { Text(strings.field(f.field)) },
                supportingText = if (f.field in state.partnerEdited) {
                    { Text(strings.partnerWordsArrived, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                } else null,
                modifier = Modifier.fillMaxWidth().heightIn(min = 96.dp).testTag("field-${f.field.name}"),
            )
        }
        if (state.debrief) {
            val done = state.done
            if (done != null) {
                Text(done.byName?.let { strings.debriefDoneBy(it) } ?: strings.debriefDone, style = MaterialTheme.typography.titleMedium)
                OutlinedButton(onClick = { onDone(false) }, modifier = Modifier.fillMaxWidth()) { Text(strings.reopenDebrief) }
            } else {
                Button(onClick = { onDone(true) }, modifier = Modifier.fillMaxWidth()) { Text(strings.markDebriefDone) }
            }
        }
    }
}

/** "Swap notes with your partner's phone", and how the last swap went. */
@Composable
private fun PartnerSyncRow(state: PartnerSyncState?, onPartnerSync: () -> Unit) {
    OutlinedButton(onClick = onPartnerSync, enabled = state !is PartnerSyncState.Exchanging, modifier = Modifier.fillMaxWidth()) {
        Text(strings.partnerSyncButton)
    }
    val said = when (state) {
        null, PartnerSyncState.Idle -> null
        PartnerSyncState.Exchanging -> strings.partnerSyncing
        is PartnerSyncState.Done -> strings.partnerSynced(state.changed)
        is PartnerSyncState.Failed -> strings.problem(state.problem)
    }
    if (said != null) Text(said, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
}
