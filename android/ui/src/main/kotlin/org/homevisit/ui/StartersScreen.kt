package org.homevisit.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.intl.LocaleList
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import org.homevisit.presentation.StartersState

/** Conversation starters in large type, in the family's language (to read before the visit). */
@Composable
fun StartersScreen(state: StartersState, onBack: () -> Unit) {
    Screen(strings.startersTitle, onBack = onBack) {
        if (state.language.isNotEmpty()) Text(strings.startersIn(strings.languageName(state.language)), style = MaterialTheme.typography.titleMedium)
        if (!state.reviewed) Text(strings.draftTranslation, color = MaterialTheme.colorScheme.tertiary)
        ProblemText(state.problem)
        state.prompts.forEach { prompt ->
            Card(Modifier.fillMaxWidth()) {
                // The prompt's own language (not the UI's): screen readers pronounce it right.
                Text(
                    prompt,
                    style = MaterialTheme.typography.headlineSmall.copy(fontSize = 26.sp, lineHeight = 34.sp, localeList = LocaleList(state.language.ifEmpty { "en" })),
                    modifier = Modifier.padding(16.dp),
                )
            }
        }
    }
}
