package org.homevisit.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.homevisit.presentation.FamilyState

/** The family: language, interpreter need, children, both visits; visit 2 starts from visit 1's hopes. */
@Composable
fun FamilyScreen(state: FamilyState, onBack: () -> Unit, onOpenVisit: (String) -> Unit, onPlanSecondVisit: () -> Unit = {}) {
    Screen(state.name.ifEmpty { strings.familyTitle }, onBack = onBack) {
        Labelled(strings.language, strings.languageName(state.language))
        Text(if (state.interpreterNeeded) strings.interpreterNeeded else strings.interpreterNotNeeded, style = MaterialTheme.typography.bodyLarge)
        if (state.children.isNotEmpty()) {
            val words = strings
            Labelled(words.children, state.children.joinToString(", ") { "${it.firstName} (${words.grade(it.grade)})" })
        }
        SectionTitle(strings.fromFirstVisit)
        Card(Modifier.fillMaxWidth(), colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer)) {
            Text(
                state.firstVisitHopes ?: strings.nothingSharedYet,
                style = MaterialTheme.typography.bodyLarge,
                modifier = Modifier.padding(16.dp),
            )
        }
        SectionTitle(strings.visits)
        ProblemText(state.problem)
        state.visits.forEach { VisitCard(it, onOpenVisit) }
        if (state.visits.isNotEmpty() && state.visits.none { it.visitNumber == 2 }) {
            Button(onClick = onPlanSecondVisit, modifier = Modifier.fillMaxWidth()) { Text(strings.planSecondVisit) }
        }
    }
}
