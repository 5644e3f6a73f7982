// The small sync indicator on Today and its longer explanation on the sync status screen.

import HomevisitCore

public enum SyncBadge: Equatable, Sendable {
    case notEnrolled
    case syncing
    case upToDate
    /// Changes wait for the next sync (none failed).
    case waiting(Int)
    /// The relay could not be reached; `unsynced` changes wait.
    case offline(unsynced: Int)
    case failed(unsynced: Int)
    case revoked

    /// `syncing`: a sync is under way (from the sync events).
    public init(status: SyncStatus, syncing: Bool) {
        let unsynced = Int(status.unsynced)
        if status.revoked || status.lastFailure == .revoked {
            self = .revoked
        } else if !status.enrolled {
            self = .notEnrolled
        } else if syncing {
            self = .syncing
        } else if let failure = status.lastFailure {
            self = failure == .offline ? .offline(unsynced: unsynced) : .failed(unsynced: unsynced)
        } else if unsynced > 0 {
            self = .waiting(unsynced)
        } else {
            self = .upToDate
        }
    }

    public var unsynced: Int {
        switch self {
        case .waiting(let n), .offline(let n), .failed(let n): return n
        case .notEnrolled, .syncing, .upToDate, .revoked: return 0
        }
    }

    public func label(_ t: Strings) -> String {
        switch self {
        case .notEnrolled: return t(.badgeNotEnrolled)
        case .syncing: return t(.badgeSyncing)
        case .upToDate: return t(.badgeUpToDate)
        case .waiting: return t(.badgeWaiting)
        case .offline: return t(.badgeOffline)
        case .failed: return t(.badgeFailed)
        case .revoked: return t(.badgeRevoked)
        }
    }

    /// Why changes are still on the phone.
    public func explanation(_ t: Strings) -> String {
        switch self {
        case .notEnrolled: return t(.waitingNotEnrolled)
        case .syncing, .waiting: return t(.waitingNextSync)
        case .upToDate: return t(.waitingNothing)
        case .offline: return t(.waitingOffline)
        case .failed: return t(.waitingError)
        case .revoked: return t(.revokedExplanation)
        }
    }

    /// For VoiceOver: the label and, when changes wait, how many.
    public func accessibilityLabel(_ t: Strings) -> String {
        unsynced > 0 ? "\(label(t)), \(t.unsyncedDocuments(unsynced))" : label(t)
    }
}
