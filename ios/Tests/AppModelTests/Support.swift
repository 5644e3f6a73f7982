// Test support: the demo relay process and the relay-per-class test case are bindings/swift's test
// fixture (RelayProcess.swift, a symlink); phones, and a wait-until helper whose bounds only guard
// liveness.

import AppModel
import Foundation
import HomevisitCore
import XCTest

/// A phone: an app with its data directory and key.
struct Phone: Sendable {
    let app: HomevisitApp
    let dir: URL

    static func enrolled(_ name: String, relay: RelayProcess) async throws -> Phone {
        let dir = try makeTempDir("homevisit-phone")
        let app = try await openApp(dataDir: dir.path, databaseKey: try generateDatabaseKey())
        try await app.enroll(relayUrl: relay.url, inviteCode: try relay.code(name))
        _ = try await app.syncNow()
        return Phone(app: app, dir: dir)
    }
}

/// Waits until `condition` holds, checking every 50 ms; fails after `seconds` (a liveness bound).
@MainActor
func eventually(
    _ what: @autoclosure () -> String,
    seconds: Double = 60,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: @MainActor () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try await condition() { return }
        if Date() > deadline {
            XCTFail("still not true after \(Int(seconds)) s: \(what())", file: file, line: line)
            throw TestFailure("gave up waiting: \(what())")
        }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
}

func epochMillis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

/// UTF-16 offset just after `needle` in `text`.
func utf16Offset(after needle: String, in text: String) throws -> Int {
    guard let range = text.range(of: needle) else { throw TestFailure("\(needle) is not in \(text)") }
    return text.utf16.distance(from: text.utf16.startIndex, to: range.upperBound)
}

/// The two demo partners and a family of their school, as a planning screen would pick them.
struct Partners {
    let rivera: Educator
    let okafor: Educator
    let families: [Family]

    init(_ roster: Roster) throws {
        guard let rivera = roster.educators.first(where: { $0.displayName == "Elena Rivera" }),
              let okafor = roster.educators.first(where: { $0.displayName == "Grace Okafor" })
        else { throw TestFailure("the roster lacks Elena Rivera or Grace Okafor") }
        self.rivera = rivera
        self.okafor = okafor
        families = roster.families.filter { $0.schoolId == rivera.schoolId }
        if families.isEmpty { throw TestFailure("no family at Elena Rivera's school") }
    }

    /// A home visit of both partners with `family` at `scheduled`.
    func plan(_ family: Family, number: UInt8 = 1, at scheduled: Date) -> VisitPlan {
        VisitPlan(
            visitId: "", familyId: family.id, schoolId: rivera.schoolId, visitNumber: number,
            educatorIds: [rivera.id, okafor.id], interpreter: nil, place: .home,
            scheduledAtMs: epochMillis(scheduled), expectedEndMs: nil,
            familyAgreedAtMs: nil, agreementRecordedBy: nil
        )
    }
}
