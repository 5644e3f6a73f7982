// The visit, conversation starters and family screens over two partners' phones.

import AppModel
import Foundation
import HomevisitCore
import XCTest

final class VisitScreensTests: PartnerPhonesTestCase {
    @MainActor
    func testAgreementOutcomeAndThePartnersConfirmation() async throws {
        let (a, b) = try await phones()
        let (visitId, _) = try await sharedVisit()
        let english = Formatting(strings: Strings(.english))
        let onA = VisitModel(app: a, visitId: visitId, formatting: english)
        let onB = VisitModel(app: b, visitId: visitId, formatting: english)
        await onA.start()
        await onB.start()
        XCTAssertFalse(onA.familyAgreed)
        XCTAssertEqual(onA.educatorNames.sorted(), ["Elena Rivera", "Grace Okafor"])
        XCTAssertNotNil(onA.familyLanguage)

        await onA.recordFamilyAgreement()
        XCTAssertTrue(onA.familyAgreed, "\(String(describing: onA.error))")
        await onA.recordOutcome(.completed, startedAt: Date().addingTimeInterval(-3600), endedAt: Date())
        XCTAssertEqual(onA.status, .completed, "\(String(describing: onA.error))")
        XCTAssertFalse(onA.canConfirm, "the one who recorded the outcome does not confirm it")
        XCTAssertEqual(onA.confirmation, "Waiting for your partner to confirm")

        try await syncBoth(until: "B's screen can confirm the outcome") { onB.canConfirm }
        XCTAssertTrue(onB.familyAgreed)
        await onB.confirmAsPartner()
        XCTAssertEqual(onB.confirmedBy, "Grace Okafor", "\(String(describing: onB.error))")
        try await syncBoth(until: "A's screen shows B's confirmation") { onA.confirmedBy == "Grace Okafor" }
        XCTAssertEqual(onA.confirmation, "Confirmed by Grace Okafor")
        onA.stop()
        onB.stop()
    }

    @MainActor
    func testStartersAreInTheFamilysLanguage() async throws {
        let (a, _) = try await phones()
        let partners = try Partners(try await a.roster())
        var spanishSpeaking: Family?
        for family in partners.families where try await a.family(familyId: family.id).preferredLanguage.hasPrefix("es") {
            spanishSpeaking = family
            break
        }
        let family = try XCTUnwrap(spanishSpeaking, "the demo school has a Spanish-speaking family")
        let (visitId, _) = try await sharedVisit(with: family)

        let starters = StartersModel(app: a, visitId: visitId, formatting: Formatting(strings: Strings(.english)))
        await starters.load()
        XCTAssertNil(starters.error)
        XCTAssertEqual(starters.promptLanguage.map { String($0.prefix(2)) }, "es")
        XCTAssertTrue(starters.inFamilyLanguage)
        XCTAssertFalse(starters.prompts.isEmpty)
        let english = try await a.promptPack(language: "en", visitNumber: 1)
        XCTAssertNotEqual(starters.prompts, english.prompts, "the prompts are the Spanish ones, not the English")
        XCTAssertTrue(starters.languageNote.hasPrefix("In "), starters.languageNote)
    }

    @MainActor
    func testTheFamilyScreenShowsBothVisitsAndTheHopesFromVisitOne() async throws {
        let (a, _) = try await phones()
        let partners = try Partners(try await a.roster())
        let family = partners.families.last!
        let (first, _) = try await sharedVisit(with: family, number: 1, at: Date().addingTimeInterval(3 * 86_400))
        let (second, _) = try await sharedVisit(with: family, number: 2, at: Date().addingTimeInterval(90 * 86_400))
        let hopes = "Que Lucía sea doctora."
        try await a.spliceNote(visitId: first, field: .hopesAndDreams, position: 0, deleteCount: 0, text: hopes)

        let screen = FamilyModel(app: a, familyId: family.id, formatting: Formatting(strings: Strings(.spanish)))
        await screen.load()
        XCTAssertNil(screen.error)
        XCTAssertEqual(screen.family?.displayName, family.displayName)
        let ids = screen.visits.map(\.id)
        XCTAssertTrue(ids.contains(first) && ids.contains(second), "\(ids)")
        XCTAssertLessThan(try XCTUnwrap(ids.firstIndex(of: first)), try XCTUnwrap(ids.firstIndex(of: second)))
        XCTAssertEqual(screen.hopesFromVisitOne, hopes)
        XCTAssertFalse(screen.declined)
        XCTAssertEqual(screen.visits.first { $0.id == second }?.statusText, "Prevista")
    }
}
