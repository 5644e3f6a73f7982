package org.homevisit.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.PlanVisitState

/** Events of the planning screen. */
interface PlanVisitEvents {
    fun onFamily(id: String)
    fun onPartner(id: String)
    fun onVisitNumber(n: Int)
    fun onTime(ms: Long)
    fun onPlace(kind: PlaceKind)
    fun onPlaceDescription(text: String)
    fun onInterpreter(on: Boolean)
    fun onSave()
}

@Composable
fun PlanVisitScreen(state: PlanVisitState, onBack: () -> Unit, events: PlanVisitEvents) {
    Screen(strings.planTitle, onBack = onBack) {
        SectionTitle(strings.planFamily)
        state.families.forEach { f -> Option(f.name, f.id == state.familyId) { events.onFamily(f.id) } }
        SectionTitle(strings.planPartner)
        state.partners.forEach { p ->
            Option(p.name + if (p.note != null) " (${strings.untrained})" else "", p.id == state.partnerId) { events.onPartner(p.id) }
        }
        SectionTitle(strings.when_)
        Text(formatTime(state.scheduledAtMs), style = MaterialTheme.typography.bodyLarge)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { events.onTime(state.scheduledAtMs - HALF_HOUR) }) { Text(strings.earlier) }
            OutlinedButton(onClick = { events.onTime(state.scheduledAtMs + HALF_HOUR) }) { Text(strings.later) }
            OutlinedButton(onClick = { events.onTime(state.scheduledAtMs + DAY) }) { Text(strings.nextDay) }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            listOf(1, 2).forEach { n -> Option(strings.visitNumber(n), state.visitNumber == n, Modifier.weight(1f)) { events.onVisitNumber(n) } }
        }
        SectionTitle(strings.where)
        PlaceKind.entries.forEach { k -> Option(strings.place(k), state.place == k) { events.onPlace(k) } }
        if (state.place == PlaceKind.NEUTRAL) {
            OutlinedTextField(
                value = state.placeDescription, onValueChange = events::onPlaceDescription, singleLine = true,
                label = { Text(strings.placeDescription) }, modifier = Modifier.fillMaxWidth(),
            )
        }
        state.interpreterLanguage?.let { language ->
            Row(
                Modifier.fillMaxWidth().toggleable(state.withInterpreter, role = Role.Checkbox, onValueChange = events::onInterpreter),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Checkbox(checked = state.withInterpreter, onCheckedChange = null)
                Text(strings.interpreterPlanned(strings.languageName(language)))
            }
        }
        ProblemText(state.problem)
        Button(onClick = events::onSave, enabled = state.canSave, modifier = Modifier.fillMaxWidth()) { Text(strings.planSave) }
    }
}

@Composable
private fun Option(label: String, selected: Boolean, modifier: Modifier = Modifier.fillMaxWidth(), onClick: () -> Unit) {
    Row(
        modifier.selectable(selected = selected, role = Role.RadioButton, onClick = onClick),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        RadioButton(selected = selected, onClick = null)
        Text(label, style = MaterialTheme.typography.bodyLarge)
    }
}

private const val HALF_HOUR = 30 * 60_000L
private const val DAY = 24 * 3600_000L
