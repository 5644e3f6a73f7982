// Phone to phone in the car: Elena Rivera's and Grace Okafor's phones synced with the relay earlier;
// with the relay gone, both write the debrief and exchange bytes through an in-memory pipe (what
// MultipeerConnectivity carries on an iPhone). Both debriefs merge; nothing of another visit crosses.

import Foundation
import HomevisitCore
import XCTest

final class PeerExchangeTests: RelayTestCase {
    /// One exchange to its end over a lossless pipe, `a` first: both sides' summaries.
    private func exchange(_ a: PeerExchange, _ b: PeerExchange) async throws -> (PeerSummary, PeerSummary) {
        var message: Data? = try await a.firstMessage()
        while let toB = message {
            guard let reply = try await b.receive(message: toB) else { break }
            message = try await a.receive(message: reply)
        }
        return (try await a.finish(), try await b.finish())
    }

    func testPartnersMergeTheirDebriefsPhoneToPhoneWithNoRelay() async throws {
        let relay = try self.relay
        let (phoneA, phoneB) = (try await Phone.open("rivera"), try await Phone.open("okafor"))
        defer {
            try? FileManager.default.removeItem(at: phoneA.dir)
            try? FileManager.default.removeItem(at: phoneB.dir)
        }
        let (a, b) = (phoneA.app, phoneB.app)
        try await a.enroll(relayUrl: relay.url, inviteCode: try relay.code("Elena Rivera"))
        try await b.enroll(relayUrl: relay.url, inviteCode: try relay.code("Grace Okafor"))
        _ = try await a.syncNow()
        _ = try await b.syncNow()
        let roster = try await a.roster()
        let partners = try Partners(roster)
        guard let chen = roster.educators.first(where: { $0.displayName == "David Chen" }) else {
            throw TestFailure("no David Chen on the roster")
        }
        let visit = try await a.planVisit(plan: partners.plan())
        // One of A's visits that B's phone never holds (Rivera with David Chen).
        var withChen = partners.plan()
        withChen.educatorIds = [partners.rivera.id, chen.id]
        let other = try await a.planVisit(plan: withChen)
        _ = try await a.syncNow()
        _ = try await b.syncNow()
        _ = try await b.visit(visitId: visit)  // it arrived
        a.shutdown()
        b.shutdown()
        relay.stop()  // in the car: no relay from here on

        try await a.spliceNote(visitId: visit, field: .learned, position: 0, deleteCount: 0, text: "Sofia loves soccer.")
        try await b.spliceNote(visitId: visit, field: .learned, position: 0, deleteCount: 0, text: "She draws dragons. ")
        try await a.spliceNote(visitId: other, field: .learned, position: 0, deleteCount: 0, text: "Only for the other visit.")
        let (sa, sb) = try await exchange(
            try a.startPeerExchange(visitId: visit, partnerId: partners.okafor.id),
            try b.startPeerExchange(visitId: visit, partnerId: partners.rivera.id)
        )

        let text = try await a.noteText(visitId: visit, field: .learned)
        let textB = try await b.noteText(visitId: visit, field: .learned)
        XCTAssertEqual(text, textB)
        XCTAssertTrue(text.contains("Sofia loves soccer.") && text.contains("She draws dragons."), text)
        XCTAssertEqual([sa.documentsChanged, sb.documentsChanged], [1, 1])
        XCTAssertEqual([sa.documentsRefused, sb.documentsRefused], [0, 0])
        let notHeld = await homevisitError { try await b.noteText(visitId: other, field: .learned) }
        guard case .NotFound? = notHeld else { return XCTFail("expected NotFound, got \(String(describing: notHeld))") }

        // A garbled message, a finished exchange and a partner that is not an id are typed errors.
        let fresh = try b.startPeerExchange(visitId: visit, partnerId: partners.rivera.id)
        let garbled = await homevisitError { try await fresh.receive(message: Data("not a message".utf8)) }
        guard case .Invalid? = garbled else { return XCTFail("expected Invalid, got \(String(describing: garbled))") }
        _ = try await fresh.finish()
        let finished = await homevisitError { try await fresh.finish() }
        guard case .Invalid? = finished else { return XCTFail("expected Invalid, got \(String(describing: finished))") }
        do {
            _ = try a.startPeerExchange(visitId: visit, partnerId: "Elena Rivera")
            XCTFail("a partner that is not an id was accepted")
        } catch HomevisitError.Invalid {
        }
    }
}
