// Two phones, Elena Rivera's (A) and Grace Okafor's (B), partners syncing through one demo relay,
// driven through the view models as the screens drive them. The phones are enrolled once for the
// class (invite codes are single-use); each test plans its own visit.

import AppModel
import Foundation
import HomevisitCore
import XCTest

class PartnerPhonesTestCase: RelayTestCase {
    struct Pair: Sendable {
        let a: Phone
        let b: Phone
    }

    private static let pairs = Locked<[ObjectIdentifier: Task<Pair, Error>]>([:])

    override class func classTearDown() {
        guard let task = pairs.withLock({ $0.removeValue(forKey: ObjectIdentifier(self)) }) else { return }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            if let pair = try? await task.value {
                pair.a.app.shutdown()
                pair.b.app.shutdown()
                try? FileManager.default.removeItem(at: pair.a.dir)
                try? FileManager.default.removeItem(at: pair.b.dir)
            }
            done.signal()
        }
        done.wait()
    }

    /// A enrolled as Elena Rivera, B as Grace Okafor, both synced once.
    @MainActor
    func phones() async throws -> (a: HomevisitApp, b: HomevisitApp) {
        let relay = try self.relay
        let task = Self.pairs.withLock { pairs -> Task<Pair, Error> in
            if let task = pairs[ObjectIdentifier(Self.self)] { return task }
            let task = Task<Pair, Error> {
                Pair(a: try await Phone.enrolled("Elena Rivera", relay: relay),
                     b: try await Phone.enrolled("Grace Okafor", relay: relay))
            }
            pairs[ObjectIdentifier(Self.self)] = task
            return task
        }
        let pair = try await task.value
        return (pair.a.app, pair.b.app)
    }

    /// Syncs both phones until `done` holds.
    @MainActor
    func syncBoth(until what: String, file: StaticString = #filePath, line: UInt = #line,
                  _ done: @MainActor () async throws -> Bool) async throws {
        let (a, b) = try await phones()
        try await eventually(what, file: file, line: line) {
            _ = try await a.syncNow()
            _ = try await b.syncNow()
            return try await done()
        }
    }

    /// A plans a visit of both partners (with `family`, or the school's first family) that B has too.
    @MainActor
    func sharedVisit(with family: Family? = nil, number: UInt8 = 1, at date: Date = Date().addingTimeInterval(2 * 86_400))
        async throws -> (visitId: String, partners: Partners) {
        let (a, b) = try await phones()
        let partners = try Partners(try await a.roster())
        let visitId = try await a.planVisit(plan: partners.plan(family ?? partners.families[0], number: number, at: date))
        try await syncBoth(until: "Grace Okafor's phone has the visit") { (try? await b.visit(visitId: visitId)) != nil }
        return (visitId, partners)
    }
}

final class TodayScreenTests: PartnerPhonesTestCase {
    @MainActor
    func testTodayShowsAVisitThePartnerPlannedOnceItSyncs() async throws {
        let (a, b) = try await phones()
        let english = Formatting(strings: Strings(.english))
        let when = Date().addingTimeInterval(3600)
        let today = TodayModel(app: a, formatting: english, day: when)
        await today.start()
        defer { today.stop() }

        // The partner plans a visit on her phone (B) and syncs.
        let partners = try Partners(try await b.roster())
        let family = partners.families[0]
        let visitId = try await b.planVisit(plan: partners.plan(family, at: when))
        XCTAssertFalse(today.rows.contains { $0.id == visitId }, "A cannot have it before syncing")
        _ = try await b.syncNow()

        // A syncs (as the background sync would): the Today model hears of it and shows it.
        try await eventually("A's Today list shows the partner's visit") {
            _ = try await a.syncNow()
            return today.rows.contains { $0.id == visitId }
        }
        let row = try XCTUnwrap(today.rows.first { $0.id == visitId })
        XCTAssertEqual(row.familyName, family.displayName)
        XCTAssertEqual(row.status, .planned)
        XCTAssertEqual(row.statusText, "Planned")
        XCTAssertTrue(row.accessibilityLabel.hasPrefix(family.displayName + ", "), row.accessibilityLabel)
        XCTAssertTrue(row.accessibilityLabel.contains("Visit 1"), row.accessibilityLabel)
        try await eventually("the badge settles (\(today.badge))") { today.badge == .upToDate }
        XCTAssertEqual(today.unsynced, 0)
    }

    @MainActor
    func testRowsAndBadgeSpeakSpanish() async throws {
        let (a, _) = try await phones()
        let tomorrow = Date().addingTimeInterval(86_400)
        let today = TodayModel(app: a, formatting: Formatting(strings: Strings(.spanish)), day: tomorrow)
        await today.start()
        defer { today.stop() }
        let partners = try Partners(try await a.roster())
        let visitId = try await a.planVisit(plan: partners.plan(partners.families[0], at: tomorrow))
        await today.syncNow()
        XCTAssertEqual(today.unsynced, 0)
        let row = try XCTUnwrap(today.rows.first { $0.id == visitId })
        XCTAssertEqual(row.statusText, "Prevista")
        XCTAssertTrue(row.accessibilityLabel.contains(", Visita 1, Prevista"), row.accessibilityLabel)
        // (The sync's own events may still be on their way: the badge follows them.)
        try await eventually("the badge says synced (\(today.badge))") { today.badge == .upToDate }
        XCTAssertEqual(today.badge.accessibilityLabel(Strings(.spanish)), "Sincronizado")
    }
}
