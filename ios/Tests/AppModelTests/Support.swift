// Test support, adapted from bindings/swift/Tests/HomevisitCoreTests/Support.swift: a demo relay
// process (plus its administrator commands, for revoking a phone), temporary directories, phones
// and a wait-until helper whose bounds only guard liveness.

import AppModel
import Foundation
import HomevisitCore
import XCTest

/// A mutable value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func makeTempDir(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `homevisit-relay --data <tmp> serve --demo --listen 127.0.0.1:0 --stop-after-secs 300`, with the
/// URL and single-use invite codes it prints.
final class RelayProcess: @unchecked Sendable {
    let url: String
    /// Display name ("Elena Rivera", "Grace Okafor", "Dana Johnson") -> invite code.
    let inviteCodes: [String: String]
    let dataDir: URL
    private let binary: String
    private let process: Process

    init() throws {
        guard let binary = ProcessInfo.processInfo.environment["HOMEVISIT_RELAY_BIN"], !binary.isEmpty else {
            throw TestFailure("HOMEVISIT_RELAY_BIN is not set (run ios/test)")
        }
        self.binary = binary
        dataDir = try makeTempDir("homevisit-relay")
        let logFile = dataDir.appendingPathComponent("relay.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--data", dataDir.appendingPathComponent("data").path,
            "serve", "--demo", "--listen", "127.0.0.1:0", "--stop-after-secs", "300",
        ]
        var env = ProcessInfo.processInfo.environment
        env["HOMEVISIT_RELAY_POSTGRES"] = nil
        env["HOMEVISIT_RELAY_DATA"] = nil
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        self.process = process

        var text = ""
        var url: String?
        var codes: [String: String] = [:]
        let reader = stdout.fileHandleForReading
        while url == nil || codes.count < 3 {
            let data = reader.availableData
            if data.isEmpty { break }  // EOF: the relay ended
            text += String(decoding: data, as: UTF8.self)
            // Complete lines only: a code cut at the end of a read is not a code.
            let complete = text.hasSuffix("\n") ? text[...] : text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]
            for line in complete.split(separator: "\n") {
                if let range = line.range(of: "homevisit relay listening on ") {
                    url = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix(" "), let open = line.firstIndex(of: "("), line.contains(")"), let code = line.split(separator: " ").last {
                    codes[line[..<open].trimmingCharacters(in: .whitespaces)] = String(code)
                }
            }
        }
        guard let url, codes.count >= 3 else {
            process.terminate()
            process.waitUntilExit()
            throw TestFailure("the relay did not start (log: \(logFile.path))")
        }
        // Keep reading, so the relay never blocks on a full pipe (unlike the original, which stops).
        reader.readabilityHandler = { handle in _ = handle.availableData }
        self.url = url
        self.inviteCodes = codes
    }

    func code(_ name: String) throws -> String {
        guard let code = inviteCodes[name] else { throw TestFailure("no invite code for \(name)") }
        return code
    }

    /// An administrator's command on this relay's data beside the running relay (as in
    /// bindings/python/tests/relay.py): `devices`, `revoke ID`...; returns what it printed.
    func admin(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--data", dataDir.appendingPathComponent("data").path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("homevisit-relay \(arguments) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The ids of an educator's devices, from `devices` (grouped under "educator <id> ...").
    func devices(ofEducator educatorId: String) throws -> [String] {
        let lines = try admin("devices").split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("educator \(educatorId) ") }) else { return [] }
        return lines[(start + 1)...].prefix { $0.hasPrefix("  ") }.compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// SIGTERM, then removes its data.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataDir)
    }
}

/// A test class with its own relay, started before its first test and stopped after its last.
class RelayTestCase: XCTestCase {
    private static let relays = Locked<[ObjectIdentifier: Result<RelayProcess, TestFailure>]>([:])

    override class func setUp() {
        super.setUp()
        let result: Result<RelayProcess, TestFailure>
        do {
            result = .success(try RelayProcess())
        } catch {
            result = .failure(error as? TestFailure ?? TestFailure("\(error)"))
        }
        relays.withLock { $0[ObjectIdentifier(self)] = result }
    }

    override class func tearDown() {
        classTearDown()
        if case .success(let relay)? = relays.withLock({ $0.removeValue(forKey: ObjectIdentifier(self)) }) {
            relay.stop()
        }
        super.tearDown()
    }

    class func classTearDown() {}

    var relay: RelayProcess {
        get throws {
            switch Self.relays.withLock({ $0[ObjectIdentifier(type(of: self))] }) {
            case .success(let relay)?: return relay
            case .failure(let error)?: throw error
            case nil: throw TestFailure("no relay for \(type(of: self))")
            }
        }
    }
}

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
