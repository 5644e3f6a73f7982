// Two phones, Elena Rivera's (A) and Grace Okafor's (B), partners on a visit, syncing through one relay:
// planning, typing into the same debrief field at once, listeners, live mode.
// The phones are enrolled once for the class (invite codes are single-use); each test plans its
// own visit, so the tests do not depend on each other's order.

import Foundation
import HomevisitCore
import XCTest

final class CoEditingTests: RelayTestCase {
    private struct Pair: Sendable {
        let a: Phone
        let b: Phone
    }

    private static let pair = Locked<Task<Pair, Error>?>(nil)

    override class func classTearDown() {
        if let task = pair.withLock({ value -> Task<Pair, Error>? in defer { value = nil }; return value }) {
            task.cancel()
            // The apps are released with the task; their directories go now.
            let cleanup = DispatchSemaphore(value: 0)
            Task.detached {
                if let pair = try? await task.value {
                    try? FileManager.default.removeItem(at: pair.a.dir)
                    try? FileManager.default.removeItem(at: pair.b.dir)
                }
                cleanup.signal()
            }
            cleanup.wait()
        }
    }

    /// A enrolled as Elena Rivera, B as Grace Okafor, both synced once.
    private func phones() async throws -> (a: HomevisitApp, b: HomevisitApp) {
        let relay = try self.relay
        let task = Self.pair.withLock { value -> Task<Pair, Error> in
            if let task = value { return task }
            let task = Task<Pair, Error> {
                let a = try await Phone.open("rivera")
                let b = try await Phone.open("okafor")
                try await a.app.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera"))
                try await b.app.enroll(relayUrl: relay.url, inviteCode: try relay.code("Grace Okafor"))
                _ = try await a.app.syncNow()
                _ = try await b.app.syncNow()
                return Pair(a: a, b: b)
            }
            value = task
            return task
        }
        let pair = try await task.value
        return (pair.a.app, pair.b.app)
    }

    /// A plans a visit of both partners; it reaches B through the relay.
    private func sharedVisit() async throws -> (a: HomevisitApp, b: HomevisitApp, visitId: String) {
        let (a, b) = try await phones()
        let visitId = try await a.planVisit(plan: try Partners(try await a.roster()).plan())
        try await eventually("Grace Okafor's phone has the visit") {
            _ = try await a.syncNow()
            _ = try await b.syncNow()
            return (try? await b.visit(visitId: visitId)) != nil
        }
        return (a, b, visitId)
    }

    /// Syncs both phones until `field` reads the same on both and `done` holds for that text.
    private func syncUntilEqual(
        _ a: HomevisitApp, _ b: HomevisitApp, _ visitId: String, _ field: NoteField,
        file: StaticString = #filePath, line: UInt = #line,
        _ done: @escaping (String) -> Bool
    ) async throws -> String {
        var text = ""
        try await eventually("both phones read the same \(field)", file: file, line: line) {
            _ = try await a.syncNow()
            _ = try await b.syncNow()
            let (ta, tb) = (try await a.noteText(visitId: visitId, field: field), try await b.noteText(visitId: visitId, field: field))
            text = ta
            return ta == tb && done(ta)
        }
        return text
    }

    func testPlanAVisitAndReadItBack() async throws {
        let (a, b) = try await phones()
        let partners = try Partners(try await a.roster())
        XCTAssertEqual(partners.rivera.schoolId, partners.okafor.schoolId)
        XCTAssertTrue(partners.rivera.trained)  // (Grace Okafor, a paraprofessional, is not: the demo pairs them)
        let plan = partners.plan()

        let visitId = try await a.planVisit(plan: plan)
        XCTAssertFalse(visitId.isEmpty)

        let visit = try await a.visit(visitId: visitId)
        XCTAssertEqual(visit.plan.visitId, visitId)
        XCTAssertEqual(visit.plan.familyId, plan.familyId)
        XCTAssertEqual(visit.plan.schoolId, plan.schoolId)
        XCTAssertEqual(visit.plan.visitNumber, 1)
        XCTAssertEqual(Set(visit.plan.educatorIds), Set([partners.rivera.id, partners.okafor.id]))
        XCTAssertEqual(visit.plan.place, .home)
        XCTAssertEqual(visit.plan.scheduledAtMs, plan.scheduledAtMs)
        XCTAssertNil(visit.plan.interpreter)
        XCTAssertEqual(visit.outcome.status, .planned)
        XCTAssertNil(visit.outcome.confirmedBy)

        let day = try await a.visitsOnDay(date: utcDay(plan.scheduledAtMs), utcOffsetMinutes: 0)
        let row = try XCTUnwrap(day.first { $0.visitId == visitId })
        XCTAssertEqual(row.familyId, partners.family.id)
        XCTAssertEqual(row.familyName, partners.family.displayName)
        XCTAssertEqual(row.status, .planned)
        XCTAssertEqual(row.placeKind.isEmpty, false)
        XCTAssertFalse(row.interpreter)

        // The partner's phone reads the same visit once it synced.
        try await eventually("Grace Okafor's phone has the visit") {
            _ = try await a.syncNow()
            _ = try await b.syncNow()
            return (try? await b.visit(visitId: visitId)) != nil
        }
        let onB = try await b.visit(visitId: visitId)
        XCTAssertEqual(onB, visit)
    }

    func testAVisitWithOneEducatorIsInvalid() async throws {
        let (a, _) = try await phones()
        let partners = try Partners(try await a.roster())
        let error = await homevisitError { try await a.planVisit(plan: partners.plan(alone: true)) }
        guard case .Invalid? = error else { return XCTFail("expected Invalid, got \(String(describing: error))") }
        // Nothing was planned.
        let day = try await a.visitsOnDay(date: utcDay(partners.plan().scheduledAtMs), utcOffsetMinutes: 0)
        XCTAssertFalse(day.contains { $0.educatorIds == [partners.rivera.id] && $0.familyId == partners.family.id })
    }

    func testTwoPhonesSpliceIntoOneDebriefFieldAtOnce() async throws {
        let (a, b, visitId) = try await sharedVisit()
        let sofia = "Sofia loves soccer 🎨."  // 🎨 is U+1F3A8: two UTF-16 units
        let mateo = "Mateo draws dragons. "

        // Both partners type at the same moment.
        async let typedA: Void = a.spliceNote(visitId: visitId, field: .learned, position: 0, deleteCount: 0, text: sofia)
        async let typedB: Void = b.spliceNote(visitId: visitId, field: .learned, position: 0, deleteCount: 0, text: mateo)
        _ = try await (typedA, typedB)

        let merged = try await syncUntilEqual(a, b, visitId, .learned) { $0.contains(sofia) && $0.contains(mateo) }
        XCTAssertEqual(merged.utf16.count, sofia.utf16.count + mateo.utf16.count, merged)

        // Positions are UTF-16 units, as String.utf16 counts: one inside the emoji's surrogate pair is refused.
        let emoji = try utf16Offset(of: "🎨", in: merged)
        XCTAssertEqual(Array(merged.utf16)[emoji ..< emoji + 2], Array("🎨".utf16)[...])
        for phone in [a, b] {
            let inside = await homevisitError {
                try await phone.spliceNote(visitId: visitId, field: .learned, position: UInt32(emoji + 1), deleteCount: 0, text: "x")
            }
            guard case .Invalid? = inside else { return XCTFail("expected Invalid, got \(String(describing: inside))") }
            let halfDeleted = await homevisitError {
                try await phone.spliceNote(visitId: visitId, field: .learned, position: UInt32(emoji), deleteCount: 1, text: "")
            }
            guard case .Invalid? = halfDeleted else { return XCTFail("expected Invalid, got \(String(describing: halfDeleted))") }
        }
        let onA = try await a.noteText(visitId: visitId, field: .learned)
        XCTAssertEqual(onA, merged)

        // Right after the pair is a valid position.
        try await b.spliceNote(visitId: visitId, field: .learned, position: UInt32(emoji + 2), deleteCount: 0, text: "⚽")
        let final = try await syncUntilEqual(a, b, visitId, .learned) { $0.contains("🎨⚽.") }
        XCTAssertTrue(final.contains(mateo) && final.contains("Sofia loves soccer 🎨⚽."), final)
        let unsynced = try await a.unsyncedCount()
        XCTAssertEqual(unsynced, 0)
    }

    func testSwiftListenersHearSyncsAndArrivingWords() async throws {
        let (a, b, visitId) = try await sharedVisit()
        let progress = ProgressRecorder()
        let changes = ChangeRecorder()
        let progressSubscription = a.subscribeSyncProgress(listener: progress)
        let changesSubscription = b.subscribeDocumentChanges(listener: changes)
        defer {
            progressSubscription.cancel()
            changesSubscription.cancel()
        }

        try await a.spliceNote(visitId: visitId, field: .useInClass, position: 0, deleteCount: 0, text: "Dragon stories in writing block.")
        // (A's background sync, nudged by the edit, may push the words first: then this sync has
        // nothing left to send. Either way the listener hears the syncs.)
        let summary = try await a.syncNow()
        XCTAssertEqual(summary.unsynced, 0)
        XCTAssertTrue(progress.finished.contains { $0 == nil }, "a successful sync was reported: \(progress.finished)")
        try await eventually("progress was reported") { !progress.progress.isEmpty }

        try await eventually("Grace Okafor's listener heard about the visit's notes") {
            _ = try await b.syncNow()
            return changes.heard(visit: visitId)
        }
        let arrived = try await b.noteText(visitId: visitId, field: .useInClass)
        XCTAssertEqual(arrived, "Dragon stories in writing block.")
    }

    func testACancelledSubscriptionHearsNothing() async throws {
        let (a, b, visitId) = try await sharedVisit()
        let cancelled = ChangeRecorder()
        let kept = ChangeRecorder()
        let cancelledSubscription = b.subscribeDocumentChanges(listener: cancelled)
        let keptSubscription = b.subscribeDocumentChanges(listener: kept)
        defer { keptSubscription.cancel() }
        cancelledSubscription.cancel()
        cancelledSubscription.cancel()  // again: does nothing

        try await a.spliceNote(visitId: visitId, field: .assumptionsChanged, position: 0, deleteCount: 0, text: "Evenings are busy.")
        _ = try await syncUntilEqual(a, b, visitId, .assumptionsChanged) { $0 == "Evenings are busy." }
        try await eventually("the kept listener heard about the visit's notes") { kept.heard(visit: visitId) }
        XCTAssertFalse(cancelled.heard(visit: visitId), "a cancelled listener was called: \(cancelled.documents)")
    }

    func testLiveModeDeliversAPartnersEditWithoutSyncing() async throws {
        let (a, b, visitId) = try await sharedVisit()
        try await b.setLive(live: true)
        let liveStatus = try await b.syncStatus()
        XCTAssertTrue(liveStatus.live)
        let changes = ChangeRecorder()
        let subscription = b.subscribeDocumentChanges(listener: changes)
        defer { subscription.cancel() }

        let words = "Invite to literacy night."
        try await a.spliceNote(visitId: visitId, field: .nextSteps, position: 0, deleteCount: 0, text: words)
        _ = try await a.syncNow()

        // B never syncs by hand: live mode brings A's words.
        try await eventually("Grace Okafor's phone received the words live") {
            try await b.noteText(visitId: visitId, field: .nextSteps) == words
        }
        try await eventually("Grace Okafor's listener heard about them") { changes.heard(visit: visitId) }

        try await b.setLive(live: false)
        let offStatus = try await b.syncStatus()
        XCTAssertFalse(offStatus.live)
    }
}
