// Families: a family's record (language, interpreter need, children's first names and grades), its
// visits (so before visit 2 the pair rereads visit 1's hopes and dreams), and its "no" (a visit is
// not completed without the family's agreement; a family that declined is not planned again).
// Each test has its own relay and enrolls Elena Rivera's phone with it.

import Foundation
import HomevisitCore
import XCTest

final class FamiliesTests: FreshRelayTestCase {
    func testTheFamilyRecordHasLanguageInterpreterNeedAndChildren() async throws {
        let relay = try self.relay
        let phone = try await Phone.enrolled("Elena Rivera", with: relay)
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        let roster = try await app.roster()
        guard let morales = roster.families.first(where: { $0.displayName == "Morales family" }),
              let brooks = roster.families.first(where: { $0.displayName == "Brooks family" })
        else { return XCTFail("the roster lacks the Morales or Brooks family: \(roster.families.map(\.displayName))") }

        let family = try await app.family(familyId: morales.id)
        XCTAssertEqual(family.id, morales.id)
        XCTAssertEqual(family.schoolId, morales.schoolId)
        XCTAssertEqual(family.displayName, morales.displayName)
        XCTAssertEqual(family.preferredLanguage, "es")
        XCTAssertTrue(family.interpreterNeeded)
        XCTAssertEqual(family.students, [Student(firstName: "Sofia", grade: "2"), Student(firstName: "Mateo", grade: "K")])
        let brooksRecord = try await app.family(familyId: brooks.id)
        XCTAssertFalse(brooksRecord.interpreterNeeded)

        let bad = await homevisitError { try await app.family(familyId: "not-a-uuid") }
        guard case .Invalid? = bad else { return XCTFail("expected Invalid, got \(String(describing: bad))") }
        let missing = await homevisitError { try await app.family(familyId: "0b6b7f1e-3c1e-4f7a-9d3e-5b2f7d1e0a11") }
        guard case .NotFound? = missing else { return XCTFail("expected NotFound, got \(String(describing: missing))") }
    }

    func testBeforeTheSecondVisitThePairRereadsTheFirst() async throws {
        let relay = try self.relay
        let phone = try await Phone.enrolled("Elena Rivera", with: relay)
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        let partners = try Partners(try await app.roster())
        let family = partners.family
        let before = Set(try await app.familyVisits(familyId: family.id).map(\.visitId))

        let first = try await app.planVisit(plan: partners.plan(at: 1_790_000_000_000))
        let hopes = "That she reads to her little brother."
        try await app.spliceNote(visitId: first, field: .hopesAndDreams, position: 0, deleteCount: 0, text: hopes)
        var secondPlan = partners.plan(at: 1_800_000_000_000)
        secondPlan.visitNumber = 2
        let second = try await app.planVisit(plan: secondPlan)

        let all = try await app.familyVisits(familyId: family.id)
        let visits = all.filter { !before.contains($0.visitId) }
        XCTAssertEqual(visits.map(\.visitId), [first, second], "earliest first")
        XCTAssertEqual(visits.map(\.visitNumber), [1, 2])
        XCTAssertTrue(all.allSatisfy { $0.familyId == family.id }, "only this family's visits: \(all)")
        guard let earlier = visits.first(where: { $0.visitNumber == 1 }) else { return XCTFail("no first visit in \(visits)") }
        let reread = try await app.noteText(visitId: earlier.visitId, field: .hopesAndDreams)
        XCTAssertEqual(reread, hopes)

        // Another family's visits are not listed.
        let roster = try await app.roster()
        guard let other = roster.families.first(where: { $0.id != family.id && $0.schoolId == family.schoolId }) else {
            return XCTFail("no second family at the school")
        }
        let otherVisits = try await app.familyVisits(familyId: other.id)
        XCTAssertFalse(otherVisits.contains { $0.visitId == first || $0.visitId == second })
        let bad = await homevisitError { try await app.familyVisits(familyId: "family-1") }
        guard case .Invalid? = bad else { return XCTFail("expected Invalid, got \(String(describing: bad))") }
    }

    func testNoCompletionWithoutAgreementAndAFamilysNoSticks() async throws {
        let relay = try self.relay
        let phone = try await Phone.enrolled("Elena Rivera", with: relay)
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        let partners = try Partners(try await app.roster())
        let (rivera, family) = (partners.rivera, partners.family)
        let plan = partners.plan()
        let visitId = try await app.planVisit(plan: plan)

        let completed = VisitOutcome(
            status: .completed,
            startedAtMs: plan.scheduledAtMs,
            endedAtMs: plan.scheduledAtMs + 3_000_000,
            recordedBy: rivera.id,
            confirmedBy: nil,
            confirmedAtMs: nil
        )
        let refused = await homevisitError { try await app.recordOutcome(visitId: visitId, outcome: completed) }
        guard case .Invalid(let reason)? = refused else { return XCTFail("expected Invalid, got \(String(describing: refused))") }
        XCTAssertTrue(reason.contains("agreement"), reason)

        let declinedBefore = try await app.familyDeclined(familyId: family.id)
        XCTAssertFalse(declinedBefore)
        try await app.recordFamilyDecline(visitId: visitId, educatorId: rivera.id)
        let outcome = try await app.visit(visitId: visitId).outcome
        XCTAssertEqual(outcome.status, .familyDeclined)
        XCTAssertEqual(outcome.recordedBy, rivera.id)
        let declined = try await app.familyDeclined(familyId: family.id)
        XCTAssertTrue(declined)

        let replanned = await homevisitError { try await app.planVisit(plan: partners.plan(at: plan.scheduledAtMs + 86_400_000)) }
        guard case .Invalid(let why)? = replanned else { return XCTFail("expected Invalid, got \(String(describing: replanned))") }
        XCTAssertTrue(why.contains("declined"), why)
        let bad = await homevisitError { try await app.recordFamilyDecline(visitId: "not-a-visit", educatorId: rivera.id) }
        guard case .Invalid? = bad else { return XCTFail("expected Invalid, got \(String(describing: bad))") }
    }
}
