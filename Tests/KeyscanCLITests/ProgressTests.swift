import Foundation
import Testing
@testable import KeyscanCLI

/// The progress line: only on a terminal, only on stderr.
@Suite struct ProgressTests {
    @Test func lineShowsCountsTimesAndThroughput() {
        let counts = ProgressLine.Counts(total: 100, done: 25, failed: 2, cached: 5, audioSeconds: 4800)
        let line = ProgressLine.line(counts, elapsed: 10, width: 200)
        #expect(line == "keyscan: 25/100 files · 2 failed · 5 cached · 0:10 elapsed · ETA 0:30 · 2.5 files/s · 480× realtime")
        #expect(ProgressLine.line(counts, elapsed: 10, width: 40).count == 40, "cut to the terminal's width")
        #expect(ProgressLine.clock(3723) == "1:02:03")
        #expect(ProgressLine.summary(counts, elapsed: 10) == "keyscan: 25 files in 0:10 (2 failed, 5 from the cache), 480× realtime")
    }

    /// Runs `command` with stderr on a pseudo-terminal (util-linux `script`), stdout to a file.
    static func onTerminal(_ command: String) throws -> (terminal: String, stdout: String) {
        let folder = try TemporaryFolder()
        let out = folder.path("stdout.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", "\(command) > '\(out)'", "/dev/null"]
        process.environment = KeyscanRun.environment([:], cacheFolder: folder)
        let terminal = Pipe()
        process.standardOutput = terminal
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = terminal.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: text, as: UTF8.self), try String(contentsOfFile: out, encoding: .utf8))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressAppearsOnATerminalOnly() throws {
        let folder = try TemporaryFolder()
        for name in ["a", "b", "c"] {
            try TestAudio.writeWAV(folder.path("\(name).wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        }
        let keyscan = "'\(KeyscanRun.executable.path)' analyze --model '\(KeyscanRun.tinyModel)' '\(folder.url.path)'"
        let shown = try Self.onTerminal(keyscan)
        #expect(shown.terminal.contains("/3 files"), "a live line: \(shown.terminal)")
        #expect(shown.terminal.contains("keyscan: 3 files in"), "\(shown.terminal)")
        #expect(shown.stdout.hasPrefix("["))
        #expect(!shown.stdout.contains("\r"), "stdout never holds progress")

        let quiet = try Self.onTerminal(keyscan + " --quiet")
        #expect(!quiet.terminal.contains("keyscan:"))

        let piped = try KeyscanRun.run(["analyze", "--model", KeyscanRun.tinyModel, folder.url.path])
        #expect(piped.stderr.isEmpty, "no progress when stderr is not a terminal: \(piped.stderr)")
    }
}
