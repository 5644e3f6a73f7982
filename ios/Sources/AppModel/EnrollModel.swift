// Enroll screen: the relay's address and the invite code a coordinator gave.

import Foundation
import HomevisitCore
import Observation

@MainActor
@Observable
public final class EnrollModel {
    public var relayURL: String
    public var inviteCode = ""
    public private(set) var busy = false
    public private(set) var error: L10n?

    private let app: HomevisitApp
    private let onEnrolled: @MainActor () async -> Void

    /// `relayURL`: the district's address, prefilled (from the app's configuration).
    public init(app: HomevisitApp, relayURL: String = "", onEnrolled: @escaping @MainActor () async -> Void) {
        self.app = app
        self.relayURL = relayURL
        self.onEnrolled = onEnrolled
    }

    public var canSubmit: Bool {
        !busy && !trimmed(relayURL).isEmpty && !trimmed(inviteCode).isEmpty
    }

    /// Enrolls; true when the phone is now enrolled.
    @discardableResult
    public func enroll() async -> Bool {
        guard canSubmit else { return false }
        busy = true
        error = nil
        defer { busy = false }
        do {
            try await app.enroll(relayUrl: trimmed(relayURL), inviteCode: trimmed(inviteCode))
            inviteCode = ""  // single-use: never shown again
            await onEnrolled()
            return true
        } catch {
            self.error = L10n.of(error)
            return false
        }
    }

    /// A scanned QR code (or an opened link): an enrollment link fills both fields and enrolls at
    /// once; anything else is refused as not an invite, and nothing is sent.
    @discardableResult
    public func scanned(_ text: String) async -> Bool {
        guard let link = try? parseEnrollLink(link: text) else {
            error = .errNotAnInvite
            return false
        }
        relayURL = link.relayUrl
        inviteCode = link.inviteCode
        return await enroll()
    }

    private func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
}
