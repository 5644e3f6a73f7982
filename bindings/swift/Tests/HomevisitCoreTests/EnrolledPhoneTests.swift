// One phone at a time against a relay: enrollment survives a reopen, sign-out wipes the phone.

import Foundation
import HomevisitCore
import XCTest

final class EnrolledPhoneTests: RelayTestCase {
    func testReopeningKeepsEnrollmentAndVisits() async throws {
        let relay = try self.relay
        let dir = try makeTempDir("homevisit-rivera")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try generateDatabaseKey()

        var app: HomevisitApp? = try await openApp(dataDir: dir.path, databaseKey: key)
        try await app!.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera"))
        _ = try await app!.syncNow()
        let partners = try Partners(try await app!.roster())
        let visitId = try await app!.planVisit(plan: partners.plan())
        let planned = try await app!.visit(visitId: visitId)
        let summary = try await app!.syncNow()
        XCTAssertEqual(summary.unsynced, 0)
        let unsynced = try await app!.unsyncedCount()
        XCTAssertEqual(unsynced, 0)
        app = nil

        // A wrong key still does not open the enrolled store.
        let wrong = await homevisitError { try await openApp(dataDir: dir.path, databaseKey: try generateDatabaseKey()) }
        guard case .WrongKey? = wrong else { return XCTFail("expected WrongKey, got \(String(describing: wrong))") }

        let reopened = try await openApp(dataDir: dir.path, databaseKey: key)
        let status = try await reopened.syncStatus()
        XCTAssertTrue(status.enrolled)
        XCTAssertEqual(status.relayUrl, relay.url)
        let reread = try await reopened.visit(visitId: visitId)
        XCTAssertEqual(reread, planned)
        // The device token came back from the encrypted store: syncing needs no new invite.
        _ = try await reopened.syncNow()
        let synced = try await reopened.syncStatus()
        XCTAssertNotNil(synced.lastSuccessMs)

        // The invite code was single-use.
        let used = await homevisitError { try await reopened.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera")) }
        guard case .Unauthorized? = used else { return XCTFail("expected Unauthorized, got \(String(describing: used))") }
        let stillEnrolled = try await reopened.syncStatus()
        XCTAssertTrue(stillEnrolled.enrolled)
    }

    func testSignOutAndWipeClosesTheApp() async throws {
        let relay = try self.relay
        let phone = try await Phone.open("johnson")
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        try await app.enroll(relayUrl: relay.url, inviteCode: try relay.code("Dana Johnson"))
        _ = try await app.syncNow()
        let roster = try await app.roster()
        XCTAssertFalse(roster.educators.isEmpty)
        let progress = ProgressRecorder()
        let subscription = app.subscribeSyncProgress(listener: progress)
        let store = phone.dir.appendingPathComponent("homevisit.db").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: store))

        try await app.signOutAndWipe()

        XCTAssertFalse(FileManager.default.fileExists(atPath: store))
        for call in [
            { _ = try await app.todaysVisits() },
            { _ = try await app.syncNow() },
            { _ = try await app.roster() },
            { try await app.signOutAndWipe() },
        ] as [@Sendable () async throws -> Void] {
            let error = await homevisitError { try await call() }
            guard case .Closed? = error else { return XCTFail("expected Closed, got \(String(describing: error))") }
        }
        subscription.cancel()  // after sign-out: does nothing, and does not crash

        // The same directory and key now open an empty, unenrolled phone.
        let fresh = try await openApp(dataDir: phone.dir.path, databaseKey: phone.key)
        let freshStatus = try await fresh.syncStatus()
        XCTAssertFalse(freshStatus.enrolled)
        let freshRoster = try await fresh.roster()
        XCTAssertEqual(freshRoster.educators, [])
    }
}
