// A coordinator's report on the phone: Dana Johnson's phone, synced with the demo relay, reports
// its school's reach and staff participation and visits per educator, counted from the roster and
// visits it holds.

import Foundation
import HomevisitCore
import XCTest

final class ReportTests: FreshRelayTestCase {
    func testTheCoordinatorsPhoneReportsItsSchool() async throws {
        let relay = try self.relay
        let phone = try await Phone.enrolled("Dana Johnson", with: relay)
        defer { try? FileManager.default.removeItem(at: phone.dir) }
        let app = phone.app
        guard let school = try await app.whoami()?.schoolId else { return XCTFail("not enrolled") }
        let roster = try await app.roster()
        let staff = roster.educators.filter { $0.schoolId == school }
        var enrolled = 0
        for family in roster.families where family.schoolId == school {
            enrolled += try await app.family(familyId: family.id).students.count
        }
        let now = epochMillis(Date())
        let (first, last) = (utcDay(now - 30 * 86_400_000), utcDay(now + 10 * 86_400_000))

        let report = try await app.coordinatorReport(fromDay: first, toDay: last)
        XCTAssertEqual([report.fromDay, report.toDay], [first, last])
        XCTAssertEqual(report.schools.count, 1)
        guard let mine = report.schools.first else { return }
        XCTAssertEqual(mine.schoolId, school)
        XCTAssertEqual(Int(mine.studentsEnrolled), enrolled)
        XCTAssertEqual(Int(mine.staffOnRoster), staff.count)
        // The demo's completed visits at this school: two families, by three of its educators.
        XCTAssertEqual(mine.familiesWithFirstVisit, 2)
        XCTAssertEqual(mine.staffParticipating, 3)
        XCTAssertTrue(mine.studentsVisited > 0 && mine.studentsVisited < mine.studentsEnrolled, "\(mine)")
        XCTAssertEqual(mine.reachPercent, 100 * Double(mine.studentsVisited) / Double(mine.studentsEnrolled), accuracy: 1e-9)
        XCTAssertEqual(mine.meetsReachThreshold, mine.studentsVisited * 10 >= mine.studentsEnrolled)

        XCTAssertEqual(report.educators.map(\.educatorId).sorted(), staff.map(\.id).sorted())
        guard let chen = report.educators.first(where: { $0.displayName == "David Chen" }) else {
            return XCTFail("no David Chen in \(report.educators.map(\.displayName))")
        }
        XCTAssertEqual([chen.visits, chen.completed, chen.documented], [5, 2, 1])

        let bad = await homevisitError { try await app.coordinatorReport(fromDay: "2026-13-01", toDay: last) }
        guard case .Invalid? = bad else { return XCTFail("expected Invalid, got \(String(describing: bad))") }
        let reversed = await homevisitError { try await app.coordinatorReport(fromDay: last, toDay: first) }
        guard case .Invalid? = reversed else { return XCTFail("expected Invalid, got \(String(describing: reversed))") }
    }
}
