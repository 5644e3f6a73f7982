// The root of the app: opens the phone's store with the key from the key store, and knows which
// screen comes first (enroll, the app, or "this phone was signed out"). It watches every sync, so
// a revocation (remote wipe) is shown whichever screen is open.

import Foundation
import HomevisitCore
import Observation

@MainActor
@Observable
public final class AppSession {
    public enum Phase: Equatable, Sendable {
        case opening
        case needsEnrollment
        case ready
        /// The district revoked this phone: the library wiped its store.
        case revoked
        /// The user signed out and erased this phone.
        case signedOut
        case failed(L10n)
    }

    public private(set) var phase: Phase = .opening
    public private(set) var app: HomevisitApp?
    public private(set) var identity: Identity?
    public let strings: Strings

    private let dataDir: URL
    private let keys: DatabaseKeyStore
    @ObservationIgnored private let listening = ListeningTask()

    public init(dataDir: URL, keys: DatabaseKeyStore, strings: Strings = Strings()) {
        self.dataDir = dataDir
        self.keys = keys
        self.strings = strings
    }

    /// Opens (or creates) the store; a new phone gets a new key.
    public func open() async {
        phase = .opening
        do {
            let app = try await openApp(dataDir: dataDir.path, databaseKey: try keys.loadOrCreate())
            self.app = app
            watchSyncs(of: app)
            await refreshPhase()
        } catch {
            phase = .failed(L10n.of(error))
        }
    }

    /// Reads enrollment and revocation from the library (after enrolling, after a failed sync).
    public func refreshPhase() async {
        guard let app, phase != .signedOut, phase != .revoked else { return }
        do {
            let status = try await app.syncStatus()
            // The library marks the phone revoked before it tells listeners of that sync.
            if status.revoked {
                becomeRevoked()
            } else if status.enrolled {
                if identity == nil { identity = try await app.whoami() }
                phase = .ready
            } else {
                phase = .needsEnrollment
            }
        } catch HomevisitError.Revoked {
            becomeRevoked()
        } catch {
            phase = .failed(L10n.of(error))
        }
    }

    /// A screen's call failed: a revocation is the session's business.
    public func report(_ error: Error) async {
        if case HomevisitError.Revoked = error { becomeRevoked() }
    }

    /// The settings screen signed out and the library wiped the store.
    func didSignOut() {
        listening.cancel()
        try? keys.delete()
        app = nil
        identity = nil
        phase = .signedOut
    }

    private func becomeRevoked() {
        listening.cancel()
        app?.shutdown()
        try? keys.delete()  // the store it opened is gone
        identity = nil
        phase = .revoked
    }

    private func watchSyncs(of app: HomevisitApp) {
        let events = app.syncEvents()
        listening.replace(with: Task { [weak self] in
            for await event in events {
                // A failed sync may be the relay saying this phone is revoked.
                if case .finished(let error) = event, error != nil {
                    await self?.refreshPhase()
                }
            }
        })
    }
}
