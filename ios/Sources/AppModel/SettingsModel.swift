// Settings: who this phone is, and sign-out, which erases the phone after showing what would be lost.

import HomevisitCore
import Observation

@MainActor
@Observable
public final class SettingsModel {
    /// Shown before signing out: how many changes are not on the relay yet.
    public struct SignOutWarning: Equatable, Sendable {
        public let unsynced: Int
        public let message: String
    }

    public private(set) var identity: Identity?
    public private(set) var myName: String?
    public private(set) var schoolName: String?
    /// Whether the school shares visit notes with its coordinators (`nil` before the first sync).
    public private(set) var schoolSharesNotes: Bool?
    public private(set) var signOutWarning: SignOutWarning?
    public private(set) var signedOut = false
    public private(set) var error: L10n?

    private let session: AppSession
    private var t: Strings { session.strings }

    public init(session: AppSession) { self.session = session }

    public func load() async {
        guard let app = session.app else { return }
        do {
            let identity = try await app.whoami()
            self.identity = identity
            let roster = try await app.roster()
            myName = roster.educators.first { $0.id == identity?.educatorId }?.displayName
            schoolName = roster.schools.first { $0.id == identity?.schoolId }?.name
            schoolSharesNotes = try await app.schoolSharesNotes()
        } catch {
            self.error = L10n.of(error)
            await session.report(error)
        }
    }

    public var whoIAm: String {
        let who = [myName, identity.map { t.role($0.role) }].compactMap { $0 }.joined(separator: ", ")
        return t(.whoIAm, who)
    }

    /// Who may read what this teacher writes, in words.
    public var notesPolicy: String {
        switch schoolSharesNotes {
        case true?: return t(.notesSharedWithCoordinators)
        case false?: return t(.notesOnlyForThePair)
        case nil: return t(.notesPolicyUnknown)
        }
    }

    public var school: String? { schoolName.map { t(.school, $0) } }

    /// Step 1 of sign-out: counts what would be lost and shows it.
    public func prepareSignOut() async {
        guard let app = session.app else { return }
        do {
            let unsynced = Int(try await app.unsyncedCount())
            signOutWarning = SignOutWarning(unsynced: unsynced, message: t.signOutWarning(unsynced))
        } catch {
            self.error = L10n.of(error)
        }
    }

    public func cancelSignOut() { signOutWarning = nil }

    /// Step 2, only after the warning was shown: erases this phone and forgets its key.
    public func confirmSignOut() async {
        guard signOutWarning != nil, let app = session.app else { return }
        do {
            try await app.signOutAndWipe()
            session.didSignOut()
            signOutWarning = nil
            signedOut = true
        } catch {
            self.error = L10n.of(error)
        }
    }
}
