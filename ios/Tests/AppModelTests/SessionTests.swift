// The app's lifecycle on one phone: enrolling through the Enroll screen, sign-out (which warns with
// what would be lost) and revocation by the district. Each test has its own relay: one stops it.

import AppModel
import Foundation
import HomevisitCore
import XCTest

final class SessionTests: XCTestCase {
    /// An enrolled session, through the Enroll screen as a user would.
    @MainActor
    private func enrolledSession(_ name: String, relay: RelayProcess, keys: InMemoryKeyStore) async throws -> (AppSession, URL) {
        let dir = try makeTempDir("homevisit-session")
        let session = AppSession(dataDir: dir, keys: keys, strings: Strings(.english))
        await session.open()
        XCTAssertEqual(session.phase, .needsEnrollment)
        XCTAssertNotNil(try keys.load(), "a new phone got a key")
        let app = try XCTUnwrap(session.app)
        let enroll = EnrollModel(app: app, relayURL: relay.url) { await session.refreshPhase() }
        XCTAssertFalse(enroll.canSubmit, "no code yet")
        enroll.inviteCode = "  \(try relay.code(name)) "
        let enrolled = await enroll.enroll()
        XCTAssertTrue(enrolled, "\(String(describing: enroll.error))")
        XCTAssertEqual(enroll.inviteCode, "", "a used code is not kept on screen")
        XCTAssertEqual(session.phase, .ready)
        return (session, dir)
    }

    @MainActor
    func testAUsedInviteCodeIsRefusedInWords() async throws {
        let relay = try RelayProcess()
        defer { relay.stop() }
        let (session, dir) = try await enrolledSession("Elena Rivera", relay: relay, keys: InMemoryKeyStore())
        defer { try? FileManager.default.removeItem(at: dir) }
        let otherDir = try makeTempDir("homevisit-other")
        defer { try? FileManager.default.removeItem(at: otherDir) }
        let other = try await openApp(dataDir: otherDir.path, databaseKey: try generateDatabaseKey())
        let enroll = EnrollModel(app: other, relayURL: relay.url) {}
        enroll.inviteCode = try relay.code("Elena Rivera")  // used by the first phone
        let enrolled = await enroll.enroll()
        XCTAssertFalse(enrolled)
        XCTAssertEqual(enroll.error, .errInviteRefused)
        XCTAssertEqual(Strings(.spanish)(enroll.error!), "Este código de invitación no existe, ya se usó o venció.")
        session.app?.shutdown()
    }

    @MainActor
    func testScanningTheCoordinatorsQRCodeEnrollsThePhoneAnythingElseIsNotAnInvite() async throws {
        let relay = try RelayProcess()
        defer { relay.stop() }
        let dir = try makeTempDir("homevisit-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try await openApp(dataDir: dir.path, databaseKey: try generateDatabaseKey())
        let enroll = EnrollModel(app: app) {}
        let menu = await enroll.scanned("https://example.org/menu")
        XCTAssertFalse(menu)
        XCTAssertEqual(enroll.error, .errNotAnInvite)
        let status = try await app.syncStatus()
        XCTAssertFalse(status.enrolled, "nothing was sent")
        // What `homevisit-relay invite --relay-url ... --qr` encodes.
        let ok = await enroll.scanned("homevisit-enroll:\(try relay.code("Grace Okafor"))@\(relay.url)")
        XCTAssertTrue(ok, "\(String(describing: enroll.error))")
        XCTAssertEqual(enroll.relayURL, relay.url)
        let identity = try await app.whoami()
        XCTAssertEqual(identity?.role, .educator)
        app.shutdown()
    }

    @MainActor
    func testSignOutWarnsWithTheUnsyncedCountThenErasesThePhone() async throws {
        let relay = try RelayProcess()
        defer { relay.stop() }
        let keys = InMemoryKeyStore()
        let (session, dir) = try await enrolledSession("Elena Rivera", relay: relay, keys: keys)
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try XCTUnwrap(session.app)
        // Everything synced (the roster, with this phone's educator, too): nothing to lose.
        _ = try await app.syncNow()
        let settings = SettingsModel(session: session)
        await settings.load()
        XCTAssertEqual(settings.whoIAm, "Signed in as Elena Rivera, Educator")
        XCTAssertEqual(settings.school, "School: Lincoln Elementary")
        // The demo district's schools keep notes to the pair (the relay's policy, told at sync).
        XCTAssertEqual(settings.schoolSharesNotes, false)
        XCTAssertTrue(settings.notesPolicy.hasPrefix("Your visit notes are for you and your partner only"), settings.notesPolicy)
        await settings.prepareSignOut()
        XCTAssertEqual(settings.signOutWarning?.unsynced, 0)
        XCTAssertEqual(settings.signOutWarning?.message, "Everything is synced: nothing will be lost.")
        settings.cancelSignOut()

        // No signal any more: a visit and its notes stay on the phone.
        relay.stop()
        let partners = try Partners(try await app.roster())
        let visitId = try await app.planVisit(plan: partners.plan(partners.families[0], at: Date().addingTimeInterval(86_400)))
        try await app.spliceNote(visitId: visitId, field: .hopesAndDreams, position: 0, deleteCount: 0, text: "Quiere ser piloto.")
        let status = SyncStatusModel(app: app, formatting: Formatting(strings: Strings(.english)))
        await status.start()
        await status.syncNow()
        XCTAssertEqual(status.error, .errOffline)
        let unsynced = Int(try await app.unsyncedCount())
        XCTAssertGreaterThan(unsynced, 0)
        // (Background retries may show "syncing" for a moment: the screen follows the events.)
        try await eventually("the status screen says what waits and why (\(status.badge))") {
            status.badge == .offline(unsynced: unsynced) && status.waiting == "\(unsynced) changes waiting to sync"
                && status.why.hasPrefix("No connection")
        }
        // Each waiting document on its own line: the new visit's plan and its notes.
        XCTAssertTrue(status.waitingItems.contains("A visit's plan or outcome: waiting to be sent."), "\(status.waitingItems)")
        XCTAssertTrue(status.waitingItems.contains("A visit's notes: waiting to be sent."), "\(status.waitingItems)")
        XCTAssertEqual(status.waitingItems.count, unsynced)
        status.stop()

        // Sign-out shows the count before anything is erased.
        await settings.confirmSignOut()
        XCTAssertFalse(settings.signedOut, "no sign-out before the warning was shown")
        await settings.prepareSignOut()
        let warning = try XCTUnwrap(settings.signOutWarning)
        XCTAssertEqual(warning.unsynced, unsynced)
        XCTAssertEqual(warning.message, "\(unsynced) changes waiting to sync. They will be lost if you sign out now.")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("homevisit.db").path))

        await settings.confirmSignOut()
        XCTAssertTrue(settings.signedOut, "\(String(describing: settings.error))")
        XCTAssertEqual(session.phase, .signedOut)
        XCTAssertNil(session.app)
        XCTAssertNil(try keys.load(), "the key of the erased store is forgotten")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("homevisit.db").path))
    }

    @MainActor
    func testARevokedPhoneShowsThatItWasSignedOut() async throws {
        let relay = try RelayProcess()
        defer { relay.stop() }
        let keys = InMemoryKeyStore()
        let (session, dir) = try await enrolledSession("Elena Rivera", relay: relay, keys: keys)
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try XCTUnwrap(session.app)
        let today = TodayModel(app: app, formatting: Formatting(strings: Strings(.english)))
        await today.start()
        await today.syncNow()
        // (The sync's own events may still be on their way: the badge follows them.)
        try await eventually("the badge says synced (\(today.badge))") { today.badge == .upToDate }

        // The district revokes the phone (lost phone), by its owner's id.
        let me = try XCTUnwrap(session.identity?.educatorId)
        let devices = try relay.devices(ofEducator: me)
        XCTAssertEqual(devices.count, 1)
        XCTAssertTrue(try relay.admin("revoke", devices[0]).contains("revoked"))
        XCTAssertEqual(session.phase, .ready, "nothing happens until the phone next syncs")

        await today.syncNow()
        try await eventually("the session shows the phone was signed out (phase \(session.phase), badge \(today.badge))") { session.phase == .revoked }
        XCTAssertEqual(today.badge, .revoked)
        XCTAssertEqual(today.badge.explanation(session.strings), session.strings(.revokedExplanation))
        XCTAssertNil(try keys.load(), "the wiped store's key is forgotten")
        try await eventually("the library deleted the store") {
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent("homevisit.db").path)
        }
        today.stop()
    }
}
