// The debrief as two partners write it at once: the partner's words merge into what the user sees,
// and the user's cursor and words survive the merge.

import AppModel
import Foundation
import HomevisitCore
import XCTest

final class DebriefTests: PartnerPhonesTestCase {
    @MainActor
    func testThePartnersEditMergesInAndTheCursorStaysWhereTheUserWas() async throws {
        let (a, b) = try await phones()
        let (visitId, partners) = try await sharedVisit()
        let debrief = NoteEditorModel(app: a, visitId: visitId, section: .debrief, me: partners.rivera.id)
        await debrief.start()
        XCTAssertTrue(debrief.live, "the debrief turns live mode on while it is open")

        // A types a sentence, then goes back and adds a name in the middle.
        debrief.userEdited(.learned, text: "We talked about soccer.", selection: 23 ..< 23)
        let typed = "We talked about Sofia and soccer."
        let afterSofia = try utf16Offset(after: "Sofia ", in: typed)
        debrief.userEdited(.learned, text: typed, selection: afterSofia ..< afterSofia)
        await debrief.settled()
        try await syncBoth(until: "B has A's words") { try await b.noteText(visitId: visitId, field: .learned) == typed }

        // B (the partner) writes at the start of the same field; it syncs to A.
        let partnerWords = "Mateo draws dragons 🐉. "
        try await b.spliceNote(visitId: visitId, field: .learned, position: 0, deleteCount: 0, text: partnerWords)
        let merged = partnerWords + typed
        try await syncBoth(until: "A's screen shows B's words") { debrief.text(.learned) == merged }

        // A's cursor moved with the text after it: still just after "Sofia ".
        let expected = try utf16Offset(after: "Sofia ", in: merged)
        XCTAssertEqual(debrief.selection(.learned), expected ..< expected)
        XCTAssertEqual(expected, afterSofia + partnerWords.utf16.count)

        // A keeps typing at the cursor: the words land where A was.
        let more = merged.replacingOccurrences(of: "Sofia ", with: "Sofia (who is seven) ")
        debrief.userEdited(.learned, text: more, selection: expected + 15 ..< expected + 15)
        await debrief.settled()
        try await syncBoth(until: "B reads A's new words in place") {
            try await b.noteText(visitId: visitId, field: .learned) == more
        }
        await debrief.stop()
        XCTAssertFalse(debrief.live)
    }

    @MainActor
    func testWordsTypedWhileAPartnersEditArrivesAreNotLost() async throws {
        let (a, b) = try await phones()
        let (visitId, partners) = try await sharedVisit()
        let debrief = NoteEditorModel(app: a, visitId: visitId, section: .debrief, me: partners.rivera.id)
        await debrief.start()

        debrief.userEdited(.nextSteps, text: "Call Friday.")
        debrief.userEdited(.nextSteps, text: "Call on Friday.")  // no selection given: after what was typed
        XCTAssertEqual(debrief.selection(.nextSteps), 8 ..< 8)
        await debrief.settled()
        try await syncBoth(until: "B has A's words") { try await b.noteText(visitId: visitId, field: .nextSteps) == "Call on Friday." }

        // B appends; A's phone syncs it in while A is still typing at the end (A's screen has not
        // shown B's words yet when A types, so A's edit is made on the older text).
        try await b.spliceNote(visitId: visitId, field: .nextSteps, position: 15, deleteCount: 0, text: " Invite to literacy night.")
        _ = try await b.syncNow()
        let shownBefore = debrief.text(.nextSteps)
        async let synced = a.syncNow()
        debrief.userEdited(.nextSteps, text: shownBefore + " Bring books.", selection: 0 ..< 0)
        _ = try await synced
        await debrief.settled()

        try await syncBoth(until: "both phones and A's screen read every word") {
            let onA = debrief.text(.nextSteps)
            let onB = try await b.noteText(visitId: visitId, field: .nextSteps)
            return onA == onB && onA.contains("Bring books.") && onA.contains("Invite to literacy night.")
        }
        let final = debrief.text(.nextSteps)
        XCTAssertTrue(final.hasPrefix("Call on Friday."), final)
        XCTAssertEqual(final.utf16.count, "Call on Friday. Bring books. Invite to literacy night.".utf16.count, final)
        await debrief.stop()
    }

    @MainActor
    func testDebriefDoneReachesThePartner() async throws {
        let (a, b) = try await phones()
        let (visitId, partners) = try await sharedVisit()
        let onA = NoteEditorModel(app: a, visitId: visitId, section: .debrief, me: partners.rivera.id)
        let onB = NoteEditorModel(app: b, visitId: visitId, section: .debrief, me: partners.okafor.id)
        await onA.start()
        await onB.start()
        XCTAssertNil(onB.debriefDone)

        onA.userEdited(.useInClass, text: "Dragon stories in writing block.", selection: 0 ..< 0)
        await onA.markDebriefDone()
        XCTAssertEqual(onA.debriefDone?.educatorId, partners.rivera.id)
        try await syncBoth(until: "B's screen shows the debrief done and A's words") {
            onB.debriefDone?.educatorId == partners.rivera.id && onB.text(.useInClass) == "Dragon stories in writing block."
        }
        XCTAssertEqual(onB.debriefDoneBy, "Elena Rivera")
        await onB.reopenDebrief()
        XCTAssertNil(onB.debriefDone)
        XCTAssertNil(onB.debriefDoneBy)
        await onA.stop()
        await onB.stop()
    }

    @MainActor
    func testInLiveModeThePartnersWordsAppearWithoutSyncingByHand() async throws {
        let (a, b) = try await phones()
        let (visitId, partners) = try await sharedVisit()
        let debrief = NoteEditorModel(app: a, visitId: visitId, section: .debrief, me: partners.rivera.id)
        await debrief.start()  // the debrief screen turns live mode on
        let status = try await a.syncStatus()
        XCTAssertTrue(status.live)

        // Only B syncs: A's screen gets the words through live mode and the change listener.
        let words = "Sofia wants to be a vet."
        try await b.spliceNote(visitId: visitId, field: .assumptionsChanged, position: 0, deleteCount: 0, text: words)
        _ = try await b.syncNow()
        try await eventually("A's screen shows B's words live") { debrief.text(.assumptionsChanged) == words }

        await debrief.stop()
        let after = try await a.syncStatus()
        XCTAssertFalse(after.live, "leaving the debrief turns live mode off")
    }
}
