// Test support: a relay process per test class, temporary directories, listeners written in Swift,
// and helpers that wait for something to become true (with generous bounds that only guard
// liveness: no assertion here is about how fast anything is).

import Foundation
import HomevisitCore
import XCTest

/// A test class whose every test has a relay of its own (for tests that use up invite codes or
/// revoke a device). The relay starts in `setUp` and stops in `tearDown`, on the main thread: a
/// process started from a Swift concurrency thread inherits that thread's blocked signals, SIGTERM
/// among them, and would then not stop until its `--stop-after-secs`.
class FreshRelayTestCase: XCTestCase {
    private var fresh: RelayProcess?

    override func setUpWithError() throws {
        try super.setUpWithError()
        fresh = try RelayProcess()
    }

    override func tearDown() {
        fresh?.stop()
        fresh = nil
        super.tearDown()
    }

    /// This test's relay.
    var relay: RelayProcess {
        get throws {
            guard let fresh else { throw TestFailure("no relay for this test") }
            return fresh
        }
    }
}

/// A phone: an app with its data directory and key.
struct Phone: Sendable {
    let app: HomevisitApp
    let dir: URL
    let key: String

    static func open(_ name: String) async throws -> Phone {
        let dir = try makeTempDir("homevisit-\(name)")
        let key = try generateDatabaseKey()
        return Phone(app: try await openApp(dataDir: dir.path, databaseKey: key), dir: dir, key: key)
    }
}

extension Phone {
    /// A phone with its own store, enrolled as `who` ("Elena Rivera", ...) with `relay` and synced once.
    static func enrolled(_ who: String, with relay: RelayProcess) async throws -> Phone {
        let phone = try await Phone.open(who.lowercased().replacingOccurrences(of: " ", with: "-"))
        try await phone.app.enroll(relayUrl: relay.url, inviteCode: try relay.code(who))
        _ = try await phone.app.syncNow()
        return phone
    }
}

/// The store's files in `dir` (`homevisit.db` and its -wal/-shm/-journal companions), sorted.
func storeFiles(_ dir: URL) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasPrefix("homevisit.db") }.sorted()
}

/// Waits until `condition` holds, checking every 50 ms; fails after `seconds` (a liveness bound).
func eventually(
    _ what: @autoclosure () -> String,
    seconds: Double = 60,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: () async throws -> Bool
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

/// Runs `body` and returns the HomevisitError it throws; fails if it throws nothing or another error.
func homevisitError<T>(
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async -> HomevisitError? {
    do {
        let value = try await body()
        XCTFail("expected a HomevisitError, got \(value)", file: file, line: line)
    } catch let error as HomevisitError {
        return error
    } catch {
        XCTFail("expected a HomevisitError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Records what a DocumentChangeListener hears.
final class ChangeRecorder: DocumentChangeListener, @unchecked Sendable {
    private let heard = Locked<[ChangedDocument]>([])

    func onDocumentsChanged(documents: [ChangedDocument]) {
        heard.withLock { $0.append(contentsOf: documents) }
    }

    var documents: [ChangedDocument] { heard.current }

    func heard(visit: String) -> Bool {
        documents.contains { $0.id == visit && $0.kind == "visit-notes" }
    }
}

/// Records what a SyncProgressListener hears.
final class ProgressRecorder: SyncProgressListener, @unchecked Sendable {
    private let state = Locked<(progress: [SyncProgress], finished: [String?])>(([], []))

    func onProgress(progress: SyncProgress) {
        state.withLock { $0.progress.append(progress) }
    }

    func onFinished(error: String?) {
        state.withLock { $0.finished.append(error) }
    }

    var progress: [SyncProgress] { state.current.progress }
    var finished: [String?] { state.current.finished }
}

/// UTF-16 offset of `needle` in `text`, as Swift's String.utf16 (and the FFI) counts.
func utf16Offset(of needle: String, in text: String) throws -> Int {
    guard let range = text.range(of: needle) else { throw TestFailure("\(needle) is not in \(text)") }
    return text.utf16.distance(from: text.utf16.startIndex, to: range.lowerBound)
}

/// Milliseconds since the Unix epoch.
func epochMillis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

/// "YYYY-MM-DD" of `ms` in UTC.
func utcDay(_ ms: Int64) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

/// Who a planning screen would pick from the roster: the two demo partners and a family of their school.
struct Partners {
    let rivera: Educator
    let okafor: Educator
    let family: Family

    init(_ roster: Roster) throws {
        guard let rivera = roster.educators.first(where: { $0.displayName == "Elena Rivera" }),
              let okafor = roster.educators.first(where: { $0.displayName == "Grace Okafor" })
        else { throw TestFailure("the roster lacks Elena Rivera or Grace Okafor: \(roster.educators.map(\.displayName))") }
        guard let family = roster.families.first(where: { $0.schoolId == rivera.schoolId }) else {
            throw TestFailure("no family at Elena Rivera's school")
        }
        self.rivera = rivera
        self.okafor = okafor
        self.family = family
    }

    /// A home visit by both partners two days from now (one educator with `alone`).
    func plan(alone: Bool = false, at scheduled: Int64 = epochMillis(Date().addingTimeInterval(2 * 86_400))) -> VisitPlan {
        VisitPlan(
            visitId: "",
            familyId: family.id,
            schoolId: rivera.schoolId,
            visitNumber: 1,
            educatorIds: alone ? [rivera.id] : [rivera.id, okafor.id],
            interpreter: nil,
            place: .home,
            scheduledAtMs: scheduled,
            expectedEndMs: nil,
            familyAgreedAtMs: nil,
            agreementRecordedBy: nil
        )
    }
}
