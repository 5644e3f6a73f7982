package org.homevisit.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.homevisit.presentation.VisitStage
import org.homevisit.presentation.VisitState

/** What can be opened from a visit. */
enum class VisitLink { STARTERS, NOTES, DEBRIEF, FAMILY }

@Composable
fun VisitScreen(
    state: VisitState,
    onBack: () -> Unit,
    onFamilyAgreed: () -> Unit,
    onFamilyDeclined: () -> Unit,
    onOutcome: (VisitStage) -> Unit,
    onConfirm: () -> Unit,
    onOpen: (VisitLink) -> Unit,
) {
    Screen(state.familyName ?: strings.familyNotSyncedYet, onBack = onBack) {
        Text(strings.visitNumber(state.visitNumber), style = MaterialTheme.typography.titleMedium)
        Labelled(strings.when_, formatTime(state.scheduledAtMs))
        Labelled(strings.where, listOfNotNull(strings.place(state.place), state.placeDescription).joinToString(": "))
        Labelled(strings.who, state.educatorNames.joinToString(", "))
        Labelled(strings.language, state.familyLanguage?.let { strings.languageName(it) } ?: "–")
        Text(
            state.interpreterLanguage?.let { strings.interpreterPlanned(strings.languageName(it)) }
                ?: if (state.interpreterNeeded) strings.interpreterNeeded else strings.interpreterNotNeeded,
            style = MaterialTheme.typography.bodyLarge,
            color = if (state.interpreterNeeded && state.interpreterLanguage == null) MaterialTheme.colorScheme.tertiary else MaterialTheme.colorScheme.onBackground,
        )
        state.firstVisitHopes?.let { Labelled(strings.fromFirstVisit, it) }
        HorizontalDivider()
        Text(if (state.familyAgreed) strings.familyAgreed else strings.familyNotAgreedYet, style = MaterialTheme.typography.bodyLarge)
        if (!state.familyAgreed && state.stage == VisitStage.PLANNED) {
            Button(onClick = onFamilyAgreed, modifier = Modifier.fillMaxWidth()) { Text(strings.recordAgreement) }
            OutlinedButton(onClick = onFamilyDeclined, modifier = Modifier.fillMaxWidth()) { Text(strings.familySaidNo) }
        }
        Labelled(strings.status, strings.stage(state.stage))
        if (state.familyAgreed && state.stage in setOf(VisitStage.PLANNED, VisitStage.CONFIRMED)) {
            SectionTitle(strings.outcomeQuestion)
            listOf(VisitStage.COMPLETED, VisitStage.FAMILY_NOT_HOME, VisitStage.RESCHEDULED, VisitStage.CANCELLED).forEach { s ->
                OutlinedButton(onClick = { onOutcome(s) }, modifier = Modifier.fillMaxWidth()) { Text(strings.stage(s)) }
            }
        }
        if (state.stage == VisitStage.COMPLETED) {
            Text(state.confirmedByName?.let { strings.confirmedBy(it) } ?: strings.notConfirmedYet, style = MaterialTheme.typography.bodyLarge)
            if (state.canConfirm) Button(onClick = onConfirm, modifier = Modifier.fillMaxWidth()) { Text(strings.confirmAsPartner) }
        }
        ProblemText(state.problem)
        HorizontalDivider()
        OutlinedButton(onClick = { onOpen(VisitLink.STARTERS) }, modifier = Modifier.fillMaxWidth()) { Text(strings.openStarters) }
        OutlinedButton(onClick = { onOpen(VisitLink.NOTES) }, modifier = Modifier.fillMaxWidth()) { Text(strings.openNotes) }
        OutlinedButton(onClick = { onOpen(VisitLink.DEBRIEF) }, modifier = Modifier.fillMaxWidth()) { Text(strings.openDebrief) }
        OutlinedButton(onClick = { onOpen(VisitLink.FAMILY) }, modifier = Modifier.fillMaxWidth()) { Text(strings.openFamily) }
    }
}

@Composable
fun Labelled(label: String, value: String) {
    Column(verticalArrangement = Arrangement.spacedBy(2.dp)) {
        Text(label, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.primary)
        Text(value, style = MaterialTheme.typography.bodyLarge)
    }
}
