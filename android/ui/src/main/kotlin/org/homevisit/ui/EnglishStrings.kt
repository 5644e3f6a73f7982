package org.homevisit.ui

import org.homevisit.core.NoteField
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.Problem
import org.homevisit.presentation.Refusal
import org.homevisit.presentation.Role
import org.homevisit.presentation.SyncBadge
import org.homevisit.presentation.VisitStage
import org.homevisit.presentation.WaitingItem
import org.homevisit.presentation.WaitingKind

object EnglishStrings : Strings {
    override val locale: java.util.Locale = java.util.Locale.forLanguageTag("en-US")
    override val appName = "Home visits"
    override val back = "Back"
    override val enrollTitle = "Join your school"
    override val enrollIntro = "Your coordinator gave you an invite code. Type it here to connect this phone."
    override val relayAddress = "District address"
    override val inviteCode = "Invite code"
    override val enrollButton = "Connect this phone"
    override val scanInvite = "Scan the invite's QR code"
    override val orTypeIt = "Or type the address and code:"
    override val enrolling = "Connecting…"
    override val todayTitle = "Today"
    override val noVisitsToday = "No visits today."
    override val syncNow = "Sync now"
    override val familyNotSyncedYet = "Family (not synced yet)"
    override fun unsynced(n: Int) = when (n) { 0 -> "Everything is sent"; 1 -> "1 change not sent yet"; else -> "$n changes not sent yet" }
    override fun visitNumber(n: Int) = if (n == 2) "Second visit" else "First visit"
    override fun badge(b: SyncBadge) = when (b) {
        SyncBadge.UP_TO_DATE -> "Up to date"
        SyncBadge.SYNCING -> "Syncing…"
        SyncBadge.WAITING -> "Waiting to send"
        SyncBadge.OFFLINE -> "No connection"
        SyncBadge.NOT_ENROLLED -> "Not connected"
        SyncBadge.SIGNED_OUT -> "Signed out"
    }
    override val interpreterShort = "Interpreter"
    override val partnerConfirmedShort = "Partner confirmed"
    override val planTitle = "Plan a visit"
    override val planButton = "Plan a visit"
    override val planSecondVisit = "Plan the second visit"
    override val planFamily = "Which family"
    override val planPartner = "Who goes with you"
    override val untrained = "not trained yet: goes with a trained partner"
    override val earlier = "−30 min"
    override val later = "+30 min"
    override val nextDay = "Next day"
    override val placeDescription = "Which place (library, park…)"
    override val planSave = "Save the plan"
    override val visitTitle = "Visit"
    override val when_ = "When"
    override val where = "Where"
    override val who = "Who goes"
    override val language = "Family's language"
    override val interpreterNeeded = "The family would like an interpreter"
    override val interpreterNotNeeded = "No interpreter needed"
    override fun interpreterPlanned(language: String) = "Interpreter planned: $language"
    override val status = "How it went"
    override val familyAgreed = "The family agreed to this visit"
    override val familyNotAgreedYet = "The family has not agreed yet"
    override val recordAgreement = "The family said yes"
    override val familySaidNo = "The family said no"
    override val outcomeQuestion = "Record how it went"
    override fun stage(s: VisitStage) = when (s) {
        VisitStage.PLANNED -> "Planned"
        VisitStage.CONFIRMED -> "Confirmed with the family"
        VisitStage.COMPLETED -> "Visit happened"
        VisitStage.FAMILY_NOT_HOME -> "Family not home"
        VisitStage.CANCELLED -> "Cancelled"
        VisitStage.RESCHEDULED -> "Moved to another day"
        VisitStage.FAMILY_DECLINED -> "The family said no"
    }
    override fun place(p: PlaceKind) = when (p) {
        PlaceKind.HOME -> "At the family's home"
        PlaceKind.NEUTRAL -> "Somewhere else"
        PlaceKind.VIRTUAL -> "Video call"
    }
    override fun confirmedBy(name: String) = "Confirmed by $name"
    override val notConfirmedYet = "Your partner has not confirmed yet"
    override val confirmAsPartner = "I was there: confirm"
    override val openStarters = "Conversation starters"
    override val openNotes = "Notes"
    override val openDebrief = "Debrief with your partner"
    override val openFamily = "About the family"
    override val startersTitle = "Conversation starters"
    override fun startersIn(language: String) = "In $language"
    override val draftTranslation = "Draft translation: not yet checked by a native speaker"
    override val notesTitle = "Notes"
    override val debriefTitle = "Debrief"
    override fun field(f: NoteField) = when (f) {
        NoteField.HOPES_AND_DREAMS -> "Hopes and dreams for their child"
        NoteField.INVITATION -> "What we invited them to"
        NoteField.FAMILY_EXPECTATIONS -> "What the family expects of us"
        NoteField.SCHOOL_EXPECTATIONS -> "What we asked of the family"
        NoteField.COMMUNICATION_RHYTHM -> "How and how often to stay in touch"
        NoteField.LEARNED -> "What we learned"
        NoteField.ASSUMPTIONS_CHANGED -> "What we thought before that changed"
        NoteField.USE_IN_CLASS -> "How we will use it in class"
        NoteField.NEXT_STEPS -> "Next steps"
    }
    override val liveOn = "Live: your partner's words appear as they type"
    override val liveOff = "Your partner's words appear when you sync"
    override val partnerWordsArrived = "Your partner added words"
    override val debriefDone = "Debrief done"
    override fun debriefDoneBy(name: String) = "Debrief done (marked by $name)"
    override val markDebriefDone = "Mark debrief done"
    override val reopenDebrief = "We have more to write"
    override val familyTitle = "Family"
    override val children = "Children"
    override fun grade(g: String) = when (g) { "PK" -> "Pre-K"; "K" -> "Kindergarten"; else -> "Grade $g" }
    override val visits = "Visits"
    override val fromFirstVisit = "What the family shared at the first visit"
    override val nothingSharedYet = "Nothing written yet from the first visit."
    override val syncTitle = "Sync"
    override fun waiting(n: Int) = if (n == 1) "1 change is waiting to be sent" else "$n changes are waiting to be sent"
    override val nothingWaiting = "Nothing is waiting. Everything on this phone is sent."
    override val partnerSyncButton = "Swap notes with your partner's phone (no signal needed)"
    override val partnerSyncing = "Swapping notes with your partner's phone…"
    override fun partnerSynced(changed: Int) = if (changed == 0) "Your partner's phone had nothing new." else "Your partner's words arrived."
    override fun waitingItem(item: WaitingItem): String {
        val what = when (item.kind) {
            WaitingKind.VISIT_LOG -> "A visit's plan or outcome"
            WaitingKind.VISIT_NOTES -> "A visit's notes"
            WaitingKind.FAMILY -> "A family's record"
            WaitingKind.OTHER -> "A school record"
        }
        return when (item.refused) {
            null -> "$what: waiting to be sent."
            Refusal.NOT_ALLOWED -> "$what: the school's server did not accept it from this phone. Ask your coordinator."
            Refusal.DAMAGED -> "$what: the school's server could not read it. It stays on this phone; ask your coordinator."
            Refusal.OVER_QUOTA -> "$what: this phone has used its space on the school's server. Ask your coordinator."
        }
    }
    override val why = "Why"
    override val neverSynced = "Not synced yet"
    override fun lastSynced(at: String) = "Last synced $at"
    override val liveModeExplained = "Live mode is on while you write a debrief together."
    override val settingsTitle = "Settings"
    override val whoIAm = "This phone belongs to"
    override val whoReadsMyNotes = "Who reads my notes"
    override fun notesPolicy(shared: Boolean?) = when (shared) {
        true -> "You, your partner and your school's coordinators: your school shares visit notes with them."
        false -> "Only you and your partner. Coordinators see the visit log, not the notes."
        null -> "Shown after the first sync."
    }
    override fun role(r: Role) = when (r) {
        Role.EDUCATOR -> "Educator"
        Role.SCHOOL_COORDINATOR -> "School coordinator"
        Role.DISTRICT_ADMIN -> "District administrator"
    }
    override val signOut = "Sign out and delete from this phone"
    override val checkingWhatWouldBeLost = "Sending what is waiting…"
    override val signOutQuestion = "Sign out?"
    override fun signOutLoses(n: Int) =
        if (n == 1) "1 change has not been sent. Signing out deletes it for good."
        else "$n changes have not been sent. Signing out deletes them for good."
    override val signOutLosesNothing = "Everything is sent. Signing out deletes the visits and notes from this phone only."
    override val cancel = "Cancel"
    override val signOutAndWipe = "Sign out and delete"
    override val signedOutByUser = "You signed out. Nothing of the visits is left on this phone."
    override val signedOutRevoked = "Your district signed this phone out. The visits and notes were removed from it. Ask your coordinator for a new invite code."
    override fun problem(p: Problem) = when (p) {
        Problem.OFFLINE -> "No connection. Changes are kept on this phone and sent when the connection is back."
        Problem.INVITE_NOT_ACCEPTED -> "This invite code did not work. Check it, or ask your coordinator for a new one."
        Problem.NOT_AN_INVITE -> "That code is not a homevisit invite. Scan the code your coordinator gave you."
        Problem.REVOKED -> "Your district signed this phone out."
        Problem.SIGNED_OUT -> "You are signed out."
        Problem.NOT_ENROLLED -> "This phone is not connected yet."
        Problem.INSECURE_ADDRESS -> "The district address must start with https://"
        Problem.BUSY_RELAY -> "The server is busy. It will try again shortly."
        Problem.RELAY_REFUSED -> "The server said no. It will try again later."
        Problem.NOT_ALLOWED -> "That is not possible for this visit."
        Problem.NOT_FOUND -> "This is not on this phone (yet)."
        Problem.DAMAGED -> "The data on this phone cannot be read. Contact your coordinator."
        Problem.UNEXPECTED -> "Something went wrong. Try again."
    }
    override fun languageName(tag: String) = when (tag.substringBefore('-').lowercase()) {
        "en" -> "English"; "es" -> "Spanish"; "vi" -> "Vietnamese"; "ar" -> "Arabic"; "ja" -> "Japanese"
        "zh" -> "Chinese"; "so" -> "Somali"; "pl" -> "Polish"; else -> tag
    }
}
