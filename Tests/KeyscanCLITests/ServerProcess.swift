import Foundation

/// A running `keyscan serve`, driven through pipes as a client app drives it.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let condition = NSCondition()
    private var lines: [[String: Any]] = []
    private var rawErrors = Data()
    private var outputClosed = false
    private let cacheFolder: TemporaryFolder
    private let readers = DispatchGroup()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        cacheFolder = try TemporaryFolder()
        process.executableURL = KeyscanRun.executable
        process.arguments = arguments
        process.environment = KeyscanRun.environment(environment, cacheFolder: cacheFolder)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        readers.enter()
        Thread { [self] in
            var pending = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    // A line that is not a JSON object is recorded as such, to fail the test.
                    let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
                        ?? ["unparseable": String(decoding: line, as: UTF8.self)]
                    condition.withLock {
                        lines.append(object)
                        condition.broadcast()
                    }
                }
            }
            condition.withLock {
                outputClosed = true
                condition.broadcast()
            }
            readers.leave()
        }.start()
        readers.enter()
        Thread { [self] in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            condition.withLock { rawErrors = data }
            readers.leave()
        }.start()
    }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func send(id: String, path: String) {
        let request = try! JSONSerialization.data(withJSONObject: ["id": id, "path": path])
        send(String(decoding: request, as: UTF8.self))
    }

    /// Closes stdin and waits for the server to exit; returns its status.
    func finish(timeout: Double = 60) -> Int32? {
        try? input.fileHandleForWriting.close()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        guard !process.isRunning else {
            process.terminate()
            return nil
        }
        readers.wait()
        return process.terminationStatus
    }

    /// Every line received so far.
    var received: [[String: Any]] { condition.withLock { lines } }

    var stderr: String { condition.withLock { String(decoding: rawErrors, as: UTF8.self) } }

    /// Waits until `done` holds for the lines received, or `timeout` seconds pass.
    @discardableResult
    func wait(timeout: Double = 60, until done: ([[String: Any]]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return condition.withLock {
            while !done(lines) {
                if outputClosed || !condition.wait(until: deadline) { return done(lines) }
            }
            return true
        }
    }

    /// Replies to requests (lines with an id).
    var replies: [[String: Any]] { received.filter { $0["id"] != nil } }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
