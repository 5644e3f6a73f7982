// The UI's words in English and Spanish, as one table per language keyed by `L10n`. Kept in Swift
// (not Localizable.strings) so the tables are checked on Linux, where bundles have no localisations.

import Foundation

public enum UILanguage: String, CaseIterable, Sendable {
    case english = "en"
    case spanish = "es"

    /// The first of the user's preferred languages this app speaks; English otherwise.
    public static func preferred(_ languages: [String] = Locale.preferredLanguages) -> UILanguage {
        for tag in languages {
            let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
            if let language = UILanguage(rawValue: primary) { return language }
        }
        return .english
    }

    public var locale: Locale { Locale(identifier: rawValue) }
}

public enum L10n: String, CaseIterable, Sendable {
    // Enroll
    case enrollTitle, enrollExplanation, relayAddress, inviteCode, enrollButton, enrolling
    // Today
    case todayTitle, noVisitsToday, familyNotSyncedYet, interpreterNeededShort, partnerConfirmedShort, syncNowButton
    // Sync badge and status
    case badgeUpToDate, badgeSyncing, badgeWaiting, badgeOffline, badgeFailed, badgeNotEnrolled, badgeRevoked
    case syncStatusTitle, waitingNothing, waitingOffline, waitingError, waitingNextSync, waitingNotEnrolled
    case lastSynced, neverSynced, liveOn, liveOff
    case kindVisitLog, kindVisitNotes, kindFamily, kindOther, pendingToSend, pendingNotAllowed, pendingDamaged, pendingOverQuota
    // Visit
    case visitTitle, visitNumber, planSection, familyLanguage, interpreterNeeded, interpreterNotNeeded
    case interpreterPlanned, interpreterNotPlanned, placeHome, placeNeutral, placeVirtual
    case familyAgreementSection, familyAgreed, familyNotAgreedYet, recordFamilyAgreement, recordFamilyDecline
    case outcomeSection, outcomeCompleted, outcomeFamilyNotHome, outcomeCancelled, outcomeRescheduled
    case partnerConfirmationSection, partnerConfirmed, waitingForPartner, confirmAsPartner, notConfirmedYet
    // Status words
    case statusPlanned, statusConfirmed, statusCompleted, statusFamilyNotHome, statusCancelled
    case statusRescheduled, statusFamilyDeclined
    // Conversation starters
    case startersTitle, startersInLanguage, startersFallback, startersDraft
    // Notes and debrief
    case notesTitle, debriefTitle, fieldHopesAndDreams, fieldInvitation, fieldFamilyExpectations
    case fieldSchoolExpectations, fieldCommunicationRhythm, fieldLearned, fieldAssumptionsChanged
    case fieldUseInClass, fieldNextSteps, debriefDoneButton, debriefDoneBy, reopenDebrief, liveEditing
    case partnerSyncButton, partnerSyncing, partnerSynced, partnerSyncedNothing
    // Family
    case familyTitle, familyVisits, familyDeclined, hopesFromVisitOne, children
    // Settings
    case settingsTitle, whoIAm, roleEducator, roleSchoolCoordinator, roleDistrictAdmin, school
    case signOutButton, signOutNothingLost, signOutWillLose, signOutConfirm, cancel, signedOut
    case revokedTitle, revokedExplanation
    case notesSharedWithCoordinators, notesOnlyForThePair, notesPolicyUnknown
    // Errors (never with content: the library's messages name no family or note)
    case errNotAnInvite, scanInvite, orTypeIt
    case errOffline, errInviteRefused, errInsecureUrl, errRevoked, errInvalid, errRateLimited
    case errRelay, errNotEnrolled, errClosed, errInternal, errWrongKey
}

/// Looks words up in one language. `callAsFunction` for plain words, the named functions for words
/// with numbers in them.
public struct Strings: Sendable {
    public let language: UILanguage

    public init(_ language: UILanguage = .preferred()) { self.language = language }

    public func callAsFunction(_ key: L10n) -> String {
        Self.table(language)[key] ?? Self.english[key] ?? key.rawValue
    }

    /// "%@" in a word replaced by `argument`.
    public func callAsFunction(_ key: L10n, _ argument: String) -> String {
        self(key).replacingOccurrences(of: "%@", with: argument)
    }

    public func unsyncedDocuments(_ count: Int) -> String {
        switch (language, count) {
        case (.english, 1): return "1 change waiting to sync"
        case (.english, _): return "\(count) changes waiting to sync"
        case (.spanish, 1): return "1 cambio pendiente de sincronizar"
        case (.spanish, _): return "\(count) cambios pendientes de sincronizar"
        }
    }

    public func signOutWarning(_ count: Int) -> String {
        count == 0 ? self(.signOutNothingLost) : self(.signOutWillLose, unsyncedDocuments(count))
    }

    public static func table(_ language: UILanguage) -> [L10n: String] {
        switch language {
        case .english: return english
        case .spanish: return spanish
        }
    }
}
