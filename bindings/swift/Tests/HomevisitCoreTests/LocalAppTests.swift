// One phone, no relay: opening the encrypted store, keys, and typed errors.

import Foundation
import HomevisitCore
import XCTest

final class LocalAppTests: XCTestCase {
    func testGeneratedKeysAre64HexAndDiffer() throws {
        let a = try generateDatabaseKey()
        let b = try generateDatabaseKey()
        XCTAssertEqual(a.count, 64)
        XCTAssertTrue(a.allSatisfy(\.isHexDigit), a)
        XCTAssertNotEqual(a, b)
    }

    func testOpenWithAKeyAndReopen() async throws {
        let dir = try makeTempDir("homevisit-local")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try generateDatabaseKey()

        var app: HomevisitApp? = try await openApp(dataDir: dir.path, databaseKey: key)
        let status = try await app!.syncStatus()
        XCTAssertFalse(status.enrolled)
        XCTAssertNil(status.relayUrl)
        XCTAssertFalse(status.live)
        let visits = try await app!.todaysVisits()
        XCTAssertEqual(visits, [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("homevisit.db").path))
        app = nil  // Swift releases it: the library closes the store

        let reopened = try await openApp(dataDir: dir.path, databaseKey: key)
        let reopenedStatus = try await reopened.syncStatus()
        XCTAssertFalse(reopenedStatus.enrolled)
        let unsynced = try await reopened.unsyncedCount()
        XCTAssertEqual(unsynced, 0)
    }

    func testAWrongKeyIsWrongKey() async throws {
        let dir = try makeTempDir("homevisit-local")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await openApp(dataDir: dir.path, databaseKey: try generateDatabaseKey())

        let error = await homevisitError { try await openApp(dataDir: dir.path, databaseKey: try generateDatabaseKey()) }
        guard case .WrongKey? = error else { return XCTFail("expected WrongKey, got \(String(describing: error))") }
    }

    func testAMalformedKeyIsInvalid() async throws {
        let dir = try makeTempDir("homevisit-local")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = await homevisitError { try await openApp(dataDir: dir.path, databaseKey: "abc") }
        guard case .Invalid? = error else { return XCTFail("expected Invalid, got \(String(describing: error))") }
    }

    func testBeforeEnrollingSyncIsNotEnrolledAndBadInputIsInvalid() async throws {
        let phone = try await Phone.open("local")
        defer { try? FileManager.default.removeItem(at: phone.dir) }

        let notEnrolled = await homevisitError { try await phone.app.syncNow() }
        guard case .NotEnrolled? = notEnrolled else { return XCTFail("expected NotEnrolled, got \(String(describing: notEnrolled))") }

        let badId = await homevisitError { try await phone.app.noteText(visitId: "not-a-uuid", field: .learned) }
        guard case .Invalid? = badId else { return XCTFail("expected Invalid, got \(String(describing: badId))") }

        let missingId = UUID().uuidString
        let missing = await homevisitError { try await phone.app.visit(visitId: missingId) }
        guard case .NotFound(let what)? = missing else { return XCTFail("expected NotFound, got \(String(describing: missing))") }
        // A document is named by its kind, never its id (which may be a family's).
        XCTAssertEqual(what, "a visit-log document")
        XCTAssertFalse(String(describing: missing).lowercased().contains(missingId.lowercased()))

        let badDate = await homevisitError { try await phone.app.visitsOnDay(date: "22/11/2026", utcOffsetMinutes: 0) }
        guard case .Invalid? = badDate else { return XCTFail("expected Invalid, got \(String(describing: badDate))") }

        // Plain http is for this machine only.
        let insecure = await homevisitError { try await phone.app.enroll(relayUrl: "http://relay.example.org", inviteCode: "x") }
        guard case .InsecureUrl? = insecure else { return XCTFail("expected InsecureUrl, got \(String(describing: insecure))") }
    }
}
