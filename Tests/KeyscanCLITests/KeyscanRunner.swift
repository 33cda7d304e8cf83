import Foundation
import KeyscanTestSupport

/// Runs the built `keyscan` executable and captures what it prints.
struct KeyscanRun {
    /// The exit status, or the signal number if `killed`.
    let status: Int32
    /// Whether a signal ended the process.
    var killed = false
    let stdout: String
    let stderr: String

    /// The executable SwiftPM built beside the test bundle, or `$KEYSCAN_TEST_EXECUTABLE`:
    /// `.ci/run` runs these suites again on the package's release build, ICU data slimmed.
    static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["KEYSCAN_TEST_EXECUTABLE"], !path.isEmpty {
            return URL(fileURLWithPath: path).standardizedFileURL
        }
        var folder = Bundle.main.bundleURL
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folder = bundle.bundleURL.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("keyscan")
    }()

    /// A tiny random KeyNet (nf 4) from the model tests' fixtures: wrong keys, right shapes,
    /// enough to check everything but accuracy.
    static let tinyModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KeyscanModelTests/Fixtures/keynet-nf4.safetensors").path

    /// The environment a test's keyscan runs in: no profiling, and unless the test names
    /// one, a cache of its own that dies with `cacheFolder` (never the user's ~/.cache).
    static func environment(_ overrides: [String: String], cacheFolder: TemporaryFolder) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["PROFILE_PERFORMANCE"] = nil
        env["XDG_CACHE_HOME"] = cacheFolder.url.path
        for (k, v) in overrides { env[k] = v }
        return env
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], executable: URL = executable) throws -> KeyscanRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let cacheFolder = try TemporaryFolder()
        process.environment = Self.environment(environment, cacheFolder: cacheFolder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the process runs, so a full pipe never blocks it.
        let outData = Locked(Data()), errData = Locked(Data())
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        process.waitUntilExit()
        group.wait()
        withExtendedLifetime(cacheFolder) {}
        return KeyscanRun(status: process.terminationStatus, killed: process.terminationReason == .uncaughtSignal,
                          stdout: String(decoding: outData.get(), as: UTF8.self),
                          stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// stdout parsed as the JSON array `--format json` prints.
    func results() throws -> [[String: Any]] {
        guard let array = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]] else {
            throw CocoaError(.propertyListReadCorrupt)
        }
        return array
    }
}

final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
    /// Reads and changes the value in one step, so no other thread's change is lost between.
    func update<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
}

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("keyscan-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { TestFiles.remove(url) }
    func path(_ name: String) -> URL { url.appendingPathComponent(name) }
}
