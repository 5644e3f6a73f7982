// People and devices: the phone knows who it is after enrolling (`whoami`), and a phone the relay
// revoked wipes itself at its next sync and says so (remote wipe). Each test has its own relay
// (invite codes are single-use, and a revoked device stays revoked).

import Foundation
import HomevisitCore
import XCTest

final class DevicesTests: FreshRelayTestCase {
    func testEnrollmentTellsThePhoneWhoItIs() async throws {
        let relay = try self.relay
        let phone = try await Phone.open("rivera")
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        let before = try await app.whoami()
        XCTAssertNil(before, "not enrolled yet")
        try await app.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera"))
        _ = try await app.syncNow()
        let rivera = try Partners(try await app.roster()).rivera
        let me = try await app.whoami()
        XCTAssertEqual(me, Identity(role: .educator, schoolId: rivera.schoolId, educatorId: rivera.id))

        let coordinator = try await Phone.enrolled("Dana Johnson", with: relay)
        defer { try? FileManager.default.removeItem(at: coordinator.dir) }
        let who = try await coordinator.app.whoami()
        XCTAssertEqual(who?.role, .schoolCoordinator)
        XCTAssertEqual(who?.schoolId, rivera.schoolId)
        XCTAssertNotNil(who)
        XCTAssertNil(who?.educatorId, "a coordinator's phone is nobody's educator phone")
    }

    func testARevokedPhoneReportsRevokedAndItsDataIsGone() async throws {
        let relay = try self.relay
        let dir = try makeTempDir("homevisit-rivera")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try generateDatabaseKey()

        var app: HomevisitApp? = try await openApp(dataDir: dir.path, databaseKey: key)
        try await app!.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera"))
        _ = try await app!.syncNow()
        let progress = ProgressRecorder()
        var subscription: Subscription? = app!.subscribeSyncProgress(listener: progress)
        let partners = try Partners(try await app!.roster())
        let visitId = try await app!.planVisit(plan: partners.plan())
        _ = try await app!.syncNow()
        XCTAssertFalse(storeFiles(dir).isEmpty, "the store is on disk before the wipe")

        // The lost phone is found by its owner's id and revoked.
        let me = try await app!.whoami()
        guard let educatorId = me?.educatorId else { return XCTFail("an educator's phone has an educator id: \(String(describing: me))") }
        let devices = try relay.devices(ofEducator: educatorId)
        XCTAssertEqual(devices.count, 1, "one device for Elena Rivera: \(devices)")
        XCTAssertTrue(try relay.admin("revoke", devices[0]).contains("revoked"))

        let revoked = await homevisitError { try await app!.syncNow() }
        guard case .Revoked? = revoked else { return XCTFail("expected Revoked, got \(String(describing: revoked))") }
        XCTAssertEqual(storeFiles(dir), [], "the store and its -wal/-shm/-journal files are deleted")
        let status = try await app!.syncStatus()
        XCTAssertTrue(status.revoked)
        XCTAssertFalse(status.enrolled)
        XCTAssertTrue(status.lastError?.contains("revoked") ?? false, "last error: \(String(describing: status.lastError))")
        XCTAssertTrue(progress.finished.contains { $0?.contains("revoked") ?? false }, "the listener was told: \(progress.finished)")
        // Every call says so from now on: nothing of the data is left to show.
        let visitError = await homevisitError { try await app!.visit(visitId: visitId) }
        guard case .Revoked? = visitError else { return XCTFail("expected Revoked, got \(String(describing: visitError))") }
        let rosterError = await homevisitError { try await app!.roster() }
        guard case .Revoked? = rosterError else { return XCTFail("expected Revoked, got \(String(describing: rosterError))") }
        subscription!.cancel()
        subscription = nil
        app = nil

        // The same directory opens as a new, empty phone (the old key no longer matters).
        let again = try await openApp(dataDir: dir.path, databaseKey: key)
        let roster = try await again.roster()
        XCTAssertEqual(roster.families, [])
        let who = try await again.whoami()
        XCTAssertNil(who)
        let freshStatus = try await again.syncStatus()
        XCTAssertFalse(freshStatus.enrolled)
        let gone = await homevisitError { try await again.visit(visitId: visitId) }
        guard case .NotFound? = gone else { return XCTFail("expected NotFound, got \(String(describing: gone))") }
    }

    func testAnUnknownDeviceIsStillUnauthorizedNotRevoked() async throws {
        let relay = try self.relay
        let phone = try await Phone.open("phone")
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let error = await homevisitError { try await phone.app.enroll(relayUrl: relay.url, inviteCode: "not-a-code") }
        guard case .Unauthorized? = error else { return XCTFail("expected Unauthorized, got \(String(describing: error))") }
        let status = try await phone.app.syncStatus()
        XCTAssertFalse(status.revoked)
    }
}
