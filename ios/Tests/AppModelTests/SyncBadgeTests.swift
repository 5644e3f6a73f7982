// The sync badge from the library's status, and "Syncing…" from the sync events (no library needed).

@testable import AppModel
import Foundation
import HomevisitCore
import XCTest

final class SyncBadgeTests: XCTestCase {
    private func status(enrolled: Bool = true, failure: SyncProblem? = nil, unsynced: UInt32 = 0, revoked: Bool = false) -> SyncStatus {
        SyncStatus(enrolled: enrolled, relayUrl: enrolled ? "https://relay.example" : nil, live: false,
                   lastSuccessMs: nil, lastError: failure.map { "\($0)" }, unsynced: unsynced, revoked: revoked,
                   lastFailure: failure)
    }

    func testTheBadgeSaysWhyChangesWait() {
        XCTAssertEqual(SyncBadge(status: status(), syncing: false), .upToDate)
        XCTAssertEqual(SyncBadge(status: status(unsynced: 3), syncing: false), .waiting(3))
        XCTAssertEqual(SyncBadge(status: status(unsynced: 3), syncing: true), .syncing)
        XCTAssertEqual(SyncBadge(status: status(failure: .offline, unsynced: 2), syncing: false), .offline(unsynced: 2))
        XCTAssertEqual(SyncBadge(status: status(failure: .relayRefused, unsynced: 2), syncing: false), .failed(unsynced: 2))
        XCTAssertEqual(SyncBadge(status: status(enrolled: false), syncing: false), .notEnrolled)
        XCTAssertEqual(SyncBadge(status: status(revoked: true), syncing: true), .revoked)
        XCTAssertEqual(SyncBadge(status: status(failure: .revoked), syncing: false), .revoked)
        XCTAssertEqual(SyncBadge.offline(unsynced: 2).accessibilityLabel(Strings(.english)), "Offline, 2 changes waiting to sync")
    }

    func testSyncingEndsWithTheSyncOrWhenItsProgressIsStale() {
        var activity = SyncActivity()
        let start = Date()
        XCTAssertFalse(activity.isSyncing(at: start))
        activity.note(.progress(SyncProgress(documentsDone: 0, documentsTotal: 2, bytesSent: 0, bytesReceived: 0)), at: start)
        XCTAssertTrue(activity.isSyncing(at: start.addingTimeInterval(1)))
        XCTAssertFalse(activity.isSyncing(at: start.addingTimeInterval(SyncActivity.staleAfter + 1)))
        activity.note(.finished(error: nil), at: start.addingTimeInterval(1))
        XCTAssertFalse(activity.isSyncing(at: start.addingTimeInterval(1)))
    }

    func testOnlyTheNewestReadIsShown() {
        var reads = LatestOnly()
        let older = reads.next(), newer = reads.next()
        XCTAssertFalse(reads.isLatest(older))
        XCTAssertTrue(reads.isLatest(newer))
    }
}
