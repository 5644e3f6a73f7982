package org.homevisit.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AssistChip
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.homevisit.presentation.SignedOut
import org.homevisit.presentation.TodayState
import org.homevisit.presentation.VisitRow

@Composable
fun TodayScreen(
    state: TodayState,
    onOpenVisit: (String) -> Unit,
    onSyncNow: () -> Unit,
    onOpenSync: () -> Unit,
    onOpenSettings: () -> Unit,
    onPlan: () -> Unit = {},
) {
    val words = strings
    Screen(
        words.todayTitle,
        action = {
            // The badge says in words what the sync state is; it opens the sync screen.
            AssistChip(
                onClick = onOpenSync,
                label = { Text(strings.badge(state.badge)) },
                modifier = Modifier.semantics { contentDescription = words.badge(state.badge) + ". " + words.unsynced(state.unsynced) },
            )
        },
    ) {
        if (state.signedOut != null) {
            Text(
                if (state.signedOut == SignedOut.REVOKED) strings.signedOutRevoked else strings.signedOutByUser,
                style = MaterialTheme.typography.bodyLarge,
            )
            return@Screen
        }
        Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceBetween) {
            Text(strings.unsynced(state.unsynced), style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
            OutlinedButton(onClick = onSyncNow) { Text(strings.syncNow) }
        }
        ProblemText(state.problem)
        if (!state.loading && state.visits.isEmpty()) Text(strings.noVisitsToday, style = MaterialTheme.typography.bodyLarge)
        state.visits.forEach { VisitCard(it, onOpenVisit) }
        Button(onClick = onPlan, modifier = Modifier.fillMaxWidth()) { Text(strings.planButton) }
        OutlinedButton(onClick = onOpenSettings) { Text(strings.settingsTitle) }
    }
}

@Composable
fun VisitCard(row: VisitRow, onOpen: (String) -> Unit) {
    val family = row.familyName ?: strings.familyNotSyncedYet
    Card(
        Modifier.fillMaxWidth().clickable(role = Role.Button, onClickLabel = strings.visitTitle) { onOpen(row.visitId) },
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(family, style = MaterialTheme.typography.titleMedium)
            Text("${formatClock(row.scheduledAtMs)} · ${strings.visitNumber(row.visitNumber)} · ${strings.place(row.place)}")
            val extras = listOfNotNull(
                strings.stage(row.stage),
                strings.interpreterShort.takeIf { row.interpreter },
                strings.partnerConfirmedShort.takeIf { row.partnerConfirmed },
            )
            Text(extras.joinToString(" · "), style = MaterialTheme.typography.bodySmall)
        }
    }
}
