package org.homevisit.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import org.homevisit.core.NoteField
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.Problem
import org.homevisit.presentation.Role
import org.homevisit.presentation.SyncBadge
import org.homevisit.presentation.VisitStage
import org.homevisit.presentation.WaitingItem

/**
 * Every word the screens show, in plain language. On Android these become string resources
 * (values/strings.xml, values-es/strings.xml); here they are Kotlin so the desktop tests and
 * screenshots use exactly the same words.
 */
interface Strings {
    /** For dates and times. */
    val locale: java.util.Locale
    val appName: String
    val back: String
    // Enroll
    val enrollTitle: String
    val enrollIntro: String
    val relayAddress: String
    val inviteCode: String
    val enrollButton: String
    val scanInvite: String
    val orTypeIt: String
    val enrolling: String
    // Today
    val todayTitle: String
    val noVisitsToday: String
    val syncNow: String
    val familyNotSyncedYet: String
    fun unsynced(n: Int): String
    fun visitNumber(n: Int): String
    fun badge(b: SyncBadge): String
    val interpreterShort: String
    val partnerConfirmedShort: String
    // Plan a visit
    val planTitle: String
    val planButton: String
    val planSecondVisit: String
    val planFamily: String
    val planPartner: String
    val untrained: String
    val earlier: String
    val later: String
    val nextDay: String
    val placeDescription: String
    val planSave: String
    // Visit
    val visitTitle: String
    val when_: String
    val where: String
    val who: String
    val language: String
    val interpreterNeeded: String
    val interpreterNotNeeded: String
    fun interpreterPlanned(language: String): String
    val status: String
    val familyAgreed: String
    val familyNotAgreedYet: String
    val recordAgreement: String
    val familySaidNo: String
    val outcomeQuestion: String
    fun stage(s: VisitStage): String
    fun place(p: PlaceKind): String
    fun confirmedBy(name: String): String
    val notConfirmedYet: String
    val confirmAsPartner: String
    val openStarters: String
    val openNotes: String
    val openDebrief: String
    val openFamily: String
    // Starters
    val startersTitle: String
    fun startersIn(language: String): String
    val draftTranslation: String
    // Notes / debrief
    val notesTitle: String
    val debriefTitle: String
    fun field(f: NoteField): String
    val liveOn: String
    val liveOff: String
    val partnerWordsArrived: String
    val debriefDone: String
    fun debriefDoneBy(name: String): String
    val markDebriefDone: String
    val reopenDebrief: String
    // Family
    val familyTitle: String
    val children: String
    fun grade(g: String): String
    val visits: String
    val fromFirstVisit: String
    val nothingSharedYet: String
    // Sync status
    val syncTitle: String
    fun waiting(n: Int): String
    val nothingWaiting: String
    /** One waiting record: what it is, and why it waits. */
    fun waitingItem(item: WaitingItem): String
    // Phone to phone with the partner (debrief)
    val partnerSyncButton: String
    val partnerSyncing: String
    fun partnerSynced(changed: Int): String
    val why: String
    val neverSynced: String
    fun lastSynced(at: String): String
    val liveModeExplained: String
    // Settings
    val settingsTitle: String
    val whoIAm: String
    val whoReadsMyNotes: String
    /** Who may read the notes, by the school's policy (null: not known before the first sync). */
    fun notesPolicy(shared: Boolean?): String
    fun role(r: Role): String
    val signOut: String
    val checkingWhatWouldBeLost: String
    val signOutQuestion: String
    fun signOutLoses(n: Int): String
    val signOutLosesNothing: String
    val cancel: String
    val signOutAndWipe: String
    val signedOutByUser: String
    val signedOutRevoked: String
    fun problem(p: Problem): String
    fun languageName(tag: String): String
}

val LocalStrings = staticCompositionLocalOf<Strings> { EnglishStrings }

/** The strings for a language tag ("es", "es-MX" -> Spanish; anything else English). */
fun stringsFor(tag: String): Strings = if (tag.lowercase().startsWith("es")) SpanishStrings else EnglishStrings

val strings: Strings
    @Composable @ReadOnlyComposable get() = LocalStrings.current
