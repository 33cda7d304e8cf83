import Foundation
import Keyscan
import Testing

/// `keyscan --version`: the version alone for scripts (tools/package/build-deb.sh names the
/// package after it, the Ray test compares rows with it), everything a bug report needs
/// with `--verbose`.
@Suite struct VersionCommandTests {
    @Test func versionIsTheVersionAlone() throws {
        let run = try KeyscanRun.run(["--version"], environment: ["KEYSCAN_MODEL": "/nonexistent/model.safetensors"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == KeyscanVersion.current + "\n")
        // Semantic versioning: three numbers.
        #expect(KeyscanVersion.current.split(separator: ".").compactMap { Int($0) }.count == 3)
    }

    @Test func verboseNamesTheModelAndTheLibraries() throws {
        for arguments in [["--version", "--verbose"], ["--verbose", "--version"]] {
            let run = try KeyscanRun.run(arguments, environment: ["KEYSCAN_MODEL": KeyscanRun.tinyModel])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == KeyscanVersion.current, "\(run.stdout)")
            let fields = Dictionary(lines.dropFirst().map { line in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { a, _ in a })
            #expect(fields["model"]?.contains(KeyscanRun.tinyModel) == true, "\(run.stdout)")
            #expect(fields["model"]?.contains("keyscan-pipeline-\(Analyzer.pipelineVersion)/") == true, "\(run.stdout)")
            // The versions as loaded: FFmpeg 5.1's libraries are 59.x (format, codec).
            #expect(fields["ffmpeg"]?.contains("libavformat 59.") == true, "\(run.stdout)")
            #expect(fields["mpg123"]?.hasPrefix("libmpg123, API ") == true, "\(run.stdout)")
            #expect(fields["openblas"]?.hasPrefix("OpenBLAS 0.") == true, "\(run.stdout)")
            #expect(fields["soxr"]?.hasPrefix("libsoxr-") == true, "\(run.stdout)")
            #expect(fields["taglib"]?.hasPrefix("1.") == true, "\(run.stdout)")
            #expect(fields["sqlite"]?.hasPrefix("3.") == true, "\(run.stdout)")
        }
    }

    @Test func verboseSaysWhenTheModelIsMissingOrBroken() throws {
        let folder = try TemporaryFolder()
        let broken = folder.path("broken.safetensors")
        try Data("not a model".utf8).write(to: broken)
        let run = try KeyscanRun.run(["--version", "--verbose"], environment: ["KEYSCAN_MODEL": broken.path])
        #expect(run.status == 0, "the version prints whatever the model: \(run.stderr)")
        #expect(run.stdout.hasPrefix(KeyscanVersion.current + "\n"))
        #expect(run.stdout.contains("model: \(broken.path) does not load:"), "\(run.stdout)")
    }

    @Test func verboseAloneIsAUsageError() throws {
        let run = try KeyscanRun.run(["--verbose"])
        #expect(run.status == 2, "\(run.stdout)")
    }
}

/// The default model is found from the executable's own file, however it was started.
@Suite struct DefaultModelTests {
    @Test func foundWhenStartedByNameFromPATHInAnotherFolder() throws {
        let elsewhere = try TemporaryFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // `exec keyscan`: argv[0] is the bare name, as when a user types it.
        process.arguments = ["-c", "cd '\(elsewhere.url.path)' && exec keyscan --version --verbose"]
        var environment = ProcessInfo.processInfo.environment
        environment["KEYSCAN_MODEL"] = nil
        environment["PATH"] = KeyscanRun.executable.deletingLastPathComponent().path + ":/usr/bin:/bin"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        #expect(text.contains("model: 2.") && text.contains("Weights/keyscan.safetensors"), "\(text)")
        #expect(text.contains(repository.path), "the checkout's Weights, found above .build/: \(text)")
    }
}
