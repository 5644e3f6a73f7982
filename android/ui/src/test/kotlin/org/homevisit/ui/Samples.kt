package org.homevisit.ui

import androidx.compose.runtime.Composable
import org.homevisit.core.NoteField
import org.homevisit.presentation.Child
import org.homevisit.presentation.Choice
import org.homevisit.presentation.DEBRIEF_FIELDS
import org.homevisit.presentation.DebriefDoneMark
import org.homevisit.presentation.EnrollState
import org.homevisit.presentation.FamilyState
import org.homevisit.presentation.FieldState
import org.homevisit.presentation.NotesState
import org.homevisit.presentation.PartnerSyncState
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.PlanVisitState
import org.homevisit.presentation.Problem
import org.homevisit.presentation.Refusal
import org.homevisit.presentation.Role
import org.homevisit.presentation.SettingsState
import org.homevisit.presentation.SignOutWarning
import org.homevisit.presentation.StartersState
import org.homevisit.presentation.SyncBadge
import org.homevisit.presentation.SyncStatusState
import org.homevisit.presentation.TextSelection
import org.homevisit.presentation.TodayState
import org.homevisit.presentation.VisitRow
import org.homevisit.presentation.VisitStage
import org.homevisit.presentation.VisitState
import org.homevisit.presentation.WaitingItem
import org.homevisit.presentation.WaitingKind

/** Fixed states for the screenshots and UI tests (fictional people, a fixed day: 2026-11-23, UTC). */
object Samples {
    private const val DAY = 1_795_392_000_000L // 2026-11-23T00:00Z
    private fun at(h: Int, m: Int) = DAY + (h * 60 + m) * 60_000L

    val todayRows = listOf(
        VisitRow("v1", "f1", "Morales family", at(16, 0), 1, VisitStage.PLANNED, PlaceKind.HOME, interpreter = true, partnerConfirmed = false),
        VisitRow("v2", "f2", "Brooks family", at(17, 30), 1, VisitStage.CONFIRMED, PlaceKind.NEUTRAL, interpreter = false, partnerConfirmed = false),
        VisitRow("v3", "f3", null, at(18, 15), 2, VisitStage.COMPLETED, PlaceKind.VIRTUAL, interpreter = false, partnerConfirmed = true),
    )
    val enroll = EnrollState(relayUrl = "https://relay.springfield.example", inviteCode = "K7Q2-PL9M", problem = Problem.INVITE_NOT_ACCEPTED)
    val today = TodayState(loading = false, visits = todayRows, badge = SyncBadge.WAITING, unsynced = 2)
    val visit = VisitState(
        loading = false, visitId = "v1", familyId = "f1", familyName = "Morales family", scheduledAtMs = at(16, 0),
        visitNumber = 1, place = PlaceKind.HOME, familyLanguage = "es", interpreterNeeded = true,
        educatorNames = listOf("Elena Rivera", "Grace Okafor"), stage = VisitStage.COMPLETED, familyAgreed = true,
        canConfirm = true,
    )
    val starters = StartersState(
        loading = false, language = "es", visitNumber = 1, title = "Primera visita", reviewed = false,
        prompts = listOf(
            "¿Qué esperanzas y sueños tienen para su hijo o hija?",
            "¿Qué le gusta hacer a su hijo o hija en su tiempo libre?",
            "¿Cómo se pronuncia su nombre?",
        ),
    )
    val debrief = NotesState(
        debrief = true, loading = false, live = true,
        fields = DEBRIEF_FIELDS.map { FieldState(it) }.map {
            when (it.field) {
                NoteField.LEARNED -> it.copy(text = "Dad coaches her team. Sofia loves soccer and draws dragons.", selection = TextSelection(42))
                NoteField.NEXT_STEPS -> it.copy(text = "Invite the family to literacy night.")
                else -> it
            }
        },
        partnerEdited = setOf(NoteField.LEARNED),
        done = null,
    )
    val debriefDone = debrief.copy(live = false, partnerEdited = emptySet(), done = DebriefDoneMark("Grace Okafor", at(19, 0)))
    val family = FamilyState(
        loading = false, name = "Nguyen family", language = "vi", interpreterNeeded = true,
        children = listOf(Child("Linh", "3")),
        visits = listOf(
            VisitRow("p1", "f4", "Nguyen family", at(17, 0) - 6 * 86_400_000L, 1, VisitStage.COMPLETED, PlaceKind.HOME, interpreter = true, partnerConfirmed = true),
            VisitRow("p2", "f4", "Nguyen family", at(17, 0) + 60 * 86_400_000L, 2, VisitStage.PLANNED, PlaceKind.HOME, interpreter = true, partnerConfirmed = false),
        ),
        firstVisitHopes = "They hope Linh keeps her love of drawing and becomes the first in the family to go to college.",
    )
    val plan = PlanVisitState(
        loading = false,
        families = listOf(Choice("f1", "Morales family"), Choice("f2", "Brooks family"), Choice("f5", "Lopez family")),
        partners = listOf(Choice("e2", "David Chen"), Choice("e3", "Grace Okafor", "untrained")),
        familyId = "f1", partnerId = "e3", scheduledAtMs = at(16, 0) + 86_400_000L,
        interpreterLanguage = "es", withInterpreter = true,
    )

    /** A planning screen's events, ignored. */
    object NoPlanEvents : PlanVisitEvents {
        override fun onFamily(id: String) {}
        override fun onPartner(id: String) {}
        override fun onVisitNumber(n: Int) {}
        override fun onTime(ms: Long) {}
        override fun onPlace(kind: PlaceKind) {}
        override fun onPlaceDescription(text: String) {}
        override fun onInterpreter(on: Boolean) {}
        override fun onSave() {}
    }

    val sync = SyncStatusState(
        loading = false, enrolled = true, live = false, lastSuccessMs = at(15, 42), waiting = 3, why = Problem.OFFLINE,
        items = listOf(
            WaitingItem(WaitingKind.FAMILY, Refusal.NOT_ALLOWED),
            WaitingItem(WaitingKind.VISIT_LOG, null),
            WaitingItem(WaitingKind.VISIT_NOTES, null),
        ),
    )
    val settings = SettingsState(loading = false, role = Role.EDUCATOR, name = "Elena Rivera", school = "Lincoln Elementary", notesShared = false)
    val settingsWarning = settings.copy(warning = SignOutWarning(unsynced = 3, why = Problem.OFFLINE))

    /** Every screen, by the name its screenshot is saved under. */
    val screens: List<Pair<String, @Composable () -> Unit>> = listOf(
        "enroll" to { EnrollScreen(enroll, {}, {}, {}, onScanQr = {}) },
        "today" to { TodayScreen(today, {}, {}, {}, {}) },
        "plan" to { PlanVisitScreen(plan, {}, NoPlanEvents) },
        "visit" to { VisitScreen(visit, {}, {}, {}, {}, {}, {}) },
        "starters" to { StartersScreen(starters, {}) },
        "debrief" to { NotesScreen(debrief, {}, { _, _, _ -> }, {}) },
        "debrief-done" to { NotesScreen(debriefDone, {}, { _, _, _ -> }, {}) },
        "debrief-partner" to { NotesScreen(debrief, {}, { _, _, _ -> }, {}, PartnerSyncState.Done(changed = 1, refused = 0)) {} },
        "family" to { FamilyScreen(family, {}, {}) },
        "sync" to { SyncStatusScreen(sync, {}, {}) },
        "settings" to { SettingsScreen(settings, {}, {}, {}, {}) },
        "settings-signout" to { SettingsScreen(settingsWarning, {}, {}, {}, {}) },
    )
}
