// Phone to phone in the car: after the relay is gone, the partners' phones merge one visit's debrief
// through `PartnerSyncModel` over an in-memory pipe (MultipeerConnectivity's place in the app).

import AppModel
import Foundation
import HomevisitCore
import XCTest

/// What one phone sends, the other receives, in order; `close()` ends both directions.
final class MemoryPipe: PartnerChannel, @unchecked Sendable {
    private let outgoing: AsyncStream<Data>.Continuation
    private var incoming: AsyncStream<Data>.AsyncIterator

    private init(outgoing: AsyncStream<Data>.Continuation, incoming: AsyncStream<Data>) {
        self.outgoing = outgoing
        self.incoming = incoming.makeAsyncIterator()
    }

    static func pair() -> (MemoryPipe, MemoryPipe) {
        let (ab, toB) = AsyncStream<Data>.makeStream()
        let (ba, toA) = AsyncStream<Data>.makeStream()
        return (MemoryPipe(outgoing: toB, incoming: ba), MemoryPipe(outgoing: toA, incoming: ab))
    }

    func send(_ message: Data) async throws { outgoing.yield(message) }
    func receive() async throws -> Data? { await incoming.next() }
}

final class PartnerSyncTests: RelayTestCase {
    @MainActor
    func testWithNoSignalThePartnersDebriefsMergePhoneToPhoneAndNothingElseCrosses() async throws {
        let relay = try self.relay
        let a = try await Phone.enrolled("Elena Rivera", relay: relay)
        let b = try await Phone.enrolled("Grace Okafor", relay: relay)
        defer {
            try? FileManager.default.removeItem(at: a.dir)
            try? FileManager.default.removeItem(at: b.dir)
        }
        let roster = try await a.app.roster()
        let partners = try Partners(roster)
        guard let chen = roster.educators.first(where: { $0.displayName == "David Chen" }) else {
            throw TestFailure("no David Chen")
        }
        let visit = try await a.app.planVisit(plan: partners.plan(partners.families[0], at: Date().addingTimeInterval(86_400)))
        var withChen = partners.plan(partners.families[0], at: Date().addingTimeInterval(2 * 86_400))
        withChen.educatorIds = [partners.rivera.id, chen.id]
        let other = try await a.app.planVisit(plan: withChen)
        try await eventually("Grace Okafor's phone has the visit") {
            _ = try await a.app.syncNow()
            _ = try await b.app.syncNow()
            return (try? await b.app.visit(visitId: visit)) != nil
        }
        // The debrief screen offers the swap with the visit's other educator.
        let editor = NoteEditorModel(app: a.app, visitId: visit, section: .debrief, me: partners.rivera.id)
        await editor.start()
        XCTAssertEqual(editor.partnerSync?.partnerId, partners.okafor.id)
        await editor.stop()
        a.app.shutdown()
        b.app.shutdown()
        relay.stop()  // no signal from here on

        try await a.app.spliceNote(visitId: visit, field: .learned, position: 0, deleteCount: 0, text: "Sofia loves soccer.")
        try await b.app.spliceNote(visitId: visit, field: .learned, position: 0, deleteCount: 0, text: "She draws dragons. ")
        try await a.app.spliceNote(visitId: other, field: .learned, position: 0, deleteCount: 0, text: "Only for the other visit.")
        let (pipeA, pipeB) = MemoryPipe.pair()
        let onA = PartnerSyncModel(app: a.app, visitId: visit, myId: partners.rivera.id, partnerId: partners.okafor.id)
        let onB = PartnerSyncModel(app: b.app, visitId: visit, myId: partners.okafor.id, partnerId: partners.rivera.id)
        async let doneA: Void = onA.exchange(over: pipeA)
        async let doneB: Void = onB.exchange(over: pipeB)
        _ = await (doneA, doneB)

        XCTAssertEqual(onA.phase, .done(changed: 1, refused: 0))
        XCTAssertEqual(onB.phase, .done(changed: 1, refused: 0))
        let text = try await a.app.noteText(visitId: visit, field: .learned)
        let textB = try await b.app.noteText(visitId: visit, field: .learned)
        XCTAssertEqual(text, textB)
        XCTAssertTrue(text.contains("Sofia loves soccer.") && text.contains("She draws dragons."), text)
        do {
            _ = try await b.app.noteText(visitId: other, field: .learned)
            XCTFail("the other visit's notes crossed to the partner's phone")
        } catch HomevisitError.NotFound {
        }
    }
}
