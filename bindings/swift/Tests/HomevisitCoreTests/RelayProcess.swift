// Shared by the Swift suites: bindings/swift's tests and ios's (a symlink there), so both start
// the demo relay the same way.

import Foundation
import XCTest

/// A mutable value shared between threads (listeners are called from the library's threads).
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

/// A fresh directory under the temporary directory.
func makeTempDir(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `homevisit-relay --data <tmp> serve --demo --listen 127.0.0.1:0 --stop-after-secs 300`, with the
/// URL and the single-use invite codes it prints.
final class RelayProcess: @unchecked Sendable {
    let url: String
    /// Display name ("Elena Rivera", "Grace Okafor", "Dana Johnson") -> invite code.
    let inviteCodes: [String: String]
    let dataDir: URL
    let logFile: URL
    private let process: Process
    private let binary: String

    init() throws {
        guard let binary = ProcessInfo.processInfo.environment["HOMEVISIT_RELAY_BIN"], !binary.isEmpty else {
            throw TestFailure("HOMEVISIT_RELAY_BIN is not set (run bindings/swift/test)")
        }
        self.binary = binary
        dataDir = try makeTempDir("homevisit-relay")
        logFile = dataDir.appendingPathComponent("relay.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--data", dataDir.appendingPathComponent("data").path,
            "serve", "--demo", "--listen", "127.0.0.1:0", "--stop-after-secs", "300",
        ]
        // Never a PostgreSQL relay or another data dir from the caller's environment.
        var env = ProcessInfo.processInfo.environment
        env["HOMEVISIT_RELAY_POSTGRES"] = nil
        env["HOMEVISIT_RELAY_DATA"] = nil
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        self.process = process

        // Read stdout until the URL and three invite codes are there (or the relay ends).
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
            // An invite line is indented: "  NAME (ROLE) CODE".
            for line in complete.split(separator: "\n") {
                if let range = line.range(of: "homevisit relay listening on ") {
                    url = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix(" "), let open = line.firstIndex(of: "("), line.contains(")"),
                          let code = line.split(separator: " ").last {
                    let name = line[..<open].trimmingCharacters(in: .whitespaces)
                    codes[name] = String(code)
                }
            }
        }
        guard let url, codes.count >= 3 else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw TestFailure("the relay did not start; stdout:\n\(text)\nstderr:\n\(log)")
        }
        // Keep reading, so the relay never blocks on a full pipe while the tests run.
        reader.readabilityHandler = { handle in _ = handle.availableData }
        self.url = url
        self.inviteCodes = codes
    }

    func code(_ name: String) throws -> String {
        guard let code = inviteCodes[name] else { throw TestFailure("no invite code for \(name)") }
        return code
    }

    /// Runs an administrator's command (`devices`, `revoke ID`, ...) on this relay's data, as a
    /// district's administrator would beside the running relay; returns what it printed. Throws if
    /// the command fails.
    func admin(_ args: String...) throws -> String {
        let command = Process()
        command.executableURL = URL(fileURLWithPath: binary)
        command.arguments = ["--data", dataDir.appendingPathComponent("data").path] + args
        var env = ProcessInfo.processInfo.environment
        env["HOMEVISIT_RELAY_POSTGRES"] = nil
        env["HOMEVISIT_RELAY_DATA"] = nil
        command.environment = env
        let stdout = Pipe()
        command.standardOutput = stdout
        // stderr to a file: a full pipe nobody reads could block the command.
        let errFile = dataDir.appendingPathComponent("admin-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        command.standardError = try FileHandle(forWritingTo: errFile)
        try command.run()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        command.waitUntilExit()
        guard command.terminationStatus == 0 else {
            let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            throw TestFailure("homevisit-relay \(args.joined(separator: " ")) failed (\(command.terminationStatus)): \(err)")
        }
        return out
    }

    /// The ids of an educator's devices, from `homevisit-relay devices` (grouped by person).
    func devices(ofEducator educatorId: String) throws -> [String] {
        let lines = try admin("devices").split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("educator \(educatorId) ") }) else {
            throw TestFailure("no devices listed for educator \(educatorId):\n\(lines.joined(separator: "\n"))")
        }
        return lines[(start + 1)...]
            .prefix(while: { $0.hasPrefix("  ") })
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// SIGTERM (the relay finishes in-flight syncs and exits), then removes its data.
    func stop() {
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataDir)
    }
}

/// A test class with its own relay: started in `class setUp`, stopped in `class tearDown`.
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

    /// Subclasses release what they keep across tests here (before the relay stops).
    class func classTearDown() {}

    /// This class's relay.
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
