package org.homevisit.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runComposeUiTest
import java.time.ZoneOffset
import org.homevisit.core.NoteField
import org.homevisit.presentation.SignedOut
import org.homevisit.presentation.TextSelection
import org.homevisit.presentation.VisitStage
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The screens are stateless: state in, events out. These drive them as a user would. */
@OptIn(ExperimentalTestApi::class)
class ScreenBehaviourTest {
    @Test
    fun `Today lists the visits, opens one, and says in words how sync stands`() = runComposeUiTest {
        val opened = mutableListOf<String>()
        setContent { HomevisitTheme(dark = false, zone = ZoneOffset.UTC) { TodayScreen(Samples.today, { opened += it }, {}, {}, {}) } }
        onNodeWithText("Brooks family").assertIsDisplayed().performClick()
        assertEquals(listOf("v2"), opened)
        onNodeWithText("Family (not synced yet)").assertIsDisplayed()
        onNode(hasContentDescription("Waiting to send. 2 changes not sent yet")).assertIsDisplayed()
        onNodeWithText("2 changes not sent yet").assertIsDisplayed()
    }

    @Test
    fun `a revoked phone shows that it was signed out and no visit`() = runComposeUiTest {
        setContent { HomevisitTheme(dark = false) { TodayScreen(Samples.today.copy(visits = emptyList(), signedOut = SignedOut.REVOKED), {}, {}, {}, {}) } }
        onNodeWithText(EnglishStrings.signedOutRevoked).assertIsDisplayed()
        assertTrue(onAllNodes(androidx.compose.ui.test.hasText("Morales family")).fetchSemanticsNodes().isEmpty())
    }

    @Test
    fun `the same screen speaks Spanish`() = runComposeUiTest {
        setContent { HomevisitTheme(dark = true, strings = SpanishStrings, zone = ZoneOffset.UTC) { TodayScreen(Samples.today, {}, {}, {}, {}) } }
        onNodeWithText("Hoy").assertIsDisplayed()
        onNodeWithText("2 cambios sin enviar").assertIsDisplayed()
        onNodeWithText("Sincronizar ahora").assertIsDisplayed()
    }

    @Test
    fun `typing in the debrief reports the new text and cursor, and the partner's words show as state changes`() = runComposeUiTest {
        var state by mutableStateOf(Samples.debrief.copy(partnerEdited = emptySet()))
        val edits = mutableListOf<Triple<NoteField, String, TextSelection>>()
        setContent {
            HomevisitTheme(dark = false) {
                NotesScreen(state, {}, { f, t, s -> edits += Triple(f, t, s); state = state.copy(fields = state.fields.map { if (it.field == f) it.copy(text = t, selection = s) else it }) }, {})
            }
        }
        onNodeWithTag("field-USE_IN_CLASS").performTextInput("A drawing corner.")
        val last = edits.last()
        assertEquals(NoteField.USE_IN_CLASS, last.first)
        assertEquals("A drawing corner.", last.second)
        assertEquals(TextSelection(17), last.third)

        // The view model merged the partner's words in: the screen shows them and says so.
        state = state.copy(
            fields = state.fields.map { if (it.field == NoteField.USE_IN_CLASS) it.copy(text = "Grace: art wall. A drawing corner.", selection = TextSelection(34)) else it },
            partnerEdited = setOf(NoteField.USE_IN_CLASS),
        )
        onNodeWithText("Grace: art wall. A drawing corner.").assertIsDisplayed()
        onNodeWithText("Your partner added words").assertIsDisplayed()
        onNodeWithText("Live: your partner's words appear as they type").assertIsDisplayed()
    }

    @Test
    fun `debrief done is one tap and can be taken back`() = runComposeUiTest {
        val done = mutableListOf<Boolean>()
        var state by mutableStateOf(Samples.debrief)
        setContent { HomevisitTheme(dark = false) { NotesScreen(state, {}, { _, _, _ -> }, { done += it }) } }
        onNodeWithText("Mark debrief done").performClick()
        state = Samples.debriefDone
        onNodeWithText("Debrief done (marked by Grace Okafor)").assertIsDisplayed()
        onNodeWithText("We have more to write").performClick()
        assertEquals(listOf(true, false), done)
    }

    @Test
    fun `sign out shows what would be lost before anything is deleted`() = runComposeUiTest {
        var confirmed = 0
        var cancelled = 0
        var state by mutableStateOf(Samples.settings)
        setContent { HomevisitTheme(dark = false) { SettingsScreen(state, {}, { state = Samples.settingsWarning }, { cancelled++ }, { confirmed++ }) } }
        onNodeWithText("Elena Rivera", substring = true).assertIsDisplayed()
        onNodeWithText("Sign out and delete from this phone").performClick()
        onNodeWithText("3 changes have not been sent. Signing out deletes them for good.", substring = true).assertIsDisplayed()
        assertEquals(0, confirmed)
        onNodeWithText("Cancel").performClick()
        assertEquals(1, cancelled)
        onNodeWithText("Sign out and delete").performClick()
        assertEquals(1, confirmed)
    }

    @Test
    fun `enroll can only be sent with a code and explains a refused one`() = runComposeUiTest {
        var enrolled = 0
        var state by mutableStateOf(Samples.enroll.copy(inviteCode = "", problem = null))
        setContent { HomevisitTheme(dark = false) { EnrollScreen(state, { state = state.copy(relayUrl = it) }, { state = state.copy(inviteCode = it) }, { enrolled++ }) } }
        onNodeWithText("Connect this phone").assertIsNotEnabled()
        onNodeWithTag("invite").performTextInput("K7Q2")
        onNodeWithText("Connect this phone").assertIsEnabled().performClick()
        assertEquals(1, enrolled)
        state = state.copy(problem = org.homevisit.presentation.Problem.INVITE_NOT_ACCEPTED)
        onNodeWithText(EnglishStrings.problem(org.homevisit.presentation.Problem.INVITE_NOT_ACCEPTED)).assertIsDisplayed()
    }

    @Test
    fun `a visit shows the family's language and interpreter need, and the partner can confirm`() = runComposeUiTest {
        var confirmed = 0
        val outcomes = mutableListOf<VisitStage>()
        var state by mutableStateOf(Samples.visit)
        setContent { HomevisitTheme(dark = false, zone = ZoneOffset.UTC) { VisitScreen(state, {}, {}, {}, { outcomes += it }, { confirmed++ }, {}) } }
        onNodeWithText("Spanish").assertIsDisplayed()
        onNodeWithText("The family would like an interpreter").assertIsDisplayed()
        onNodeWithText("I was there: confirm").performClick()
        assertEquals(1, confirmed)
        state = Samples.visit.copy(canConfirm = false, confirmedByName = "Grace Okafor")
        onNodeWithText("Confirmed by Grace Okafor").assertIsDisplayed()
        assertTrue(onAllNodes(androidx.compose.ui.test.hasText("I was there: confirm")).fetchSemanticsNodes().isEmpty())
        // A planned visit the family agreed to: the outcome is one tap.
        state = Samples.visit.copy(stage = VisitStage.PLANNED, canConfirm = false)
        onNodeWithText("Family not home").performClick()
        assertEquals(listOf(VisitStage.FAMILY_NOT_HOME), outcomes)
    }

    @Test
    fun `planning needs a family and a partner, and offers the family's interpreter`() = runComposeUiTest {
        var state by mutableStateOf(Samples.plan.copy(familyId = null, partnerId = null, interpreterLanguage = null, withInterpreter = false))
        var saved = 0
        val events = object : PlanVisitEvents by Samples.NoPlanEvents {
            override fun onFamily(id: String) { state = state.copy(familyId = id, interpreterLanguage = "es", withInterpreter = true) }
            override fun onPartner(id: String) { state = state.copy(partnerId = id) }
            override fun onSave() { saved++ }
        }
        setContent { HomevisitTheme(dark = false, zone = ZoneOffset.UTC) { PlanVisitScreen(state, {}, events) } }
        onNodeWithText("Save the plan").assertIsNotEnabled()
        onNodeWithText("Morales family").performClick()
        onNodeWithText("Interpreter planned: Spanish").assertIsDisplayed()
        onNodeWithText("Grace Okafor (not trained yet: goes with a trained partner)").performClick()
        assertEquals("e3", state.partnerId)
        onNodeWithText("Save the plan").assertIsEnabled().performClick()
        assertEquals(1, saved)
    }
}
