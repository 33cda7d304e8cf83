import Foundation
import Keyscan
import Testing

/// `keyscan analyze --files-from` and `--skip-done`: manifests of paths in, results
/// streamed out, a stopped run resumed; and what bare `keyscan` starts.
@Suite(.serialized) struct FileListCommandTests {
    let model = KeyscanRun.tinyModel

    /// Runs `command` in sh (for pipes and `>>`), keyscan being `$KEYSCAN`; returns its
    /// exit status and stderr.
    static func shell(_ command: String, in folder: TemporaryFolder) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = folder.url
        process.environment = KeyscanRun.environment(["KEYSCAN": KeyscanRun.executable.path], cacheFolder: folder)
        let err = Pipe()
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self))
    }

    /// JSON lines parsed; a line that is not an object fails the test.
    static func lines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").map { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            return object ?? [:]
        }
    }

    /// Three short cadences in `folder/music`, a link to one of them, and a text file.
    static func makeMusic(_ folder: TemporaryFolder) throws -> [String] {
        let music = folder.path("music")
        try FileManager.default.createDirectory(at: music, withIntermediateDirectories: true)
        var paths: [String] = []
        for (i, tonic) in [0, 7, 9].enumerated() {
            let url = music.appendingPathComponent("track \(i).wav")
            try TestAudio.writeWAV(url, mono: TestAudio.cadence(tonic: tonic, minor: i == 2, seconds: 3))
            paths.append(url.path)
        }
        try FileManager.default.createSymbolicLink(atPath: music.appendingPathComponent("link.wav").path,
                                                   withDestinationPath: paths[0])
        try Data("not audio".utf8).write(to: music.appendingPathComponent("notes.mp3"))
        return paths
    }

    @Test func filesFromStreamsEachFileOnceInListOrderAfterThePathsGiven() throws {
        let folder = try TemporaryFolder()
        let tracks = try Self.makeMusic(folder)
        let music = folder.path("music").path
        // Repeats by another name (a link, `..`, the same line twice), a missing file, a
        // folder, a blank line and a Windows line end.
        let list = [tracks[2], "", "\(music)/link.wav", "\(music)/../music/track 1.wav\r", "\(music)/gone.wav",
                    tracks[2], "\(music)/notes.mp3", music]
        try Data(list.joined(separator: "\n").utf8).write(to: folder.path("list.txt"))
        let run = try KeyscanRun.run(["analyze", "--model", model, "--format", "jsonl", "--jobs", "1",
                                      "--files-from", folder.path("list.txt").path, tracks[0]])
        #expect(run.status == 1, "the missing file and the text file failed")
        let results = Self.lines(run.stdout)
        let paths = results.map { $0["path"] as? String ?? "?" }
        // With one job, files finish in the order they are taken: the paths given first.
        #expect(paths == [tracks[0], tracks[2], "\(music)/../music/track 1.wav", "\(music)/gone.wav", "\(music)/notes.mp3"],
                "\(paths)")
        #expect(results.map { $0["status"] as? String } == ["ok", "ok", "ok", "error", "error"])
        #expect(run.stderr.contains("7 paths skipped: the same file as a path before"), "\(run.stderr)")
    }

    @Test func filesFromStdinWithNULSeparatorsAndSortedJSON() throws {
        let folder = try TemporaryFolder()
        let tracks = try Self.makeMusic(folder)
        // A name with a newline in it, as only NUL-separated lists can carry.
        let odd = folder.path("music/two\nlines.wav").path
        try FileManager.default.copyItem(atPath: tracks[1], toPath: odd)
        let list = folder.path("list0")
        try Data(([odd, tracks[2], tracks[0]].joined(separator: "\0") + "\0").utf8).write(to: list)
        let run = try Self.shell("\"$KEYSCAN\" analyze --model '\(model)' --files-from - --null < list0 > out.json", in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.path("out.json"))) as? [[String: Any]]
        let paths = try #require(results).map { $0["path"] as? String ?? "?" }
        #expect(paths == [tracks[0], tracks[2], odd].sorted(), "json stays sorted by path")

        let noList = try KeyscanRun.run(["analyze", "--model", model, "--null", tracks[0]])
        #expect(noList.status == 2)
        #expect(noList.stderr.contains("--null needs --files-from"))
        let missingList = try KeyscanRun.run(["analyze", "--model", model, "--files-from", folder.path("nope").path])
        #expect(missingList.status == 2)
        #expect(missingList.stderr.contains("cannot open"), "\(missingList.stderr)")
    }

    @Test func skipDoneResumesAStoppedRunAndRepairsItsCutLastLine() throws {
        let folder = try TemporaryFolder()
        let tracks = try Self.makeMusic(folder)
        let list = tracks + [folder.path("music/notes.mp3").path, folder.path("music/gone.wav").path]
        try Data(list.joined(separator: "\n").utf8).write(to: folder.path("list.txt"))
        let command = "\"$KEYSCAN\" analyze --model '\(model)' --no-cache --format jsonl --files-from list.txt"

        // A run that stopped after two results, the second cut off mid-line.
        let first = try Self.shell(command + " > full.jsonl", in: folder)
        #expect(first.status == 1)
        let full = try String(contentsOf: folder.path("full.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(full.count == 5)
        let out = folder.path("out.jsonl")
        try Data((full[0] + "\n" + full[1].prefix(30)).utf8).write(to: out)

        let resumed = try Self.shell(command + " --skip-done out.jsonl >> out.jsonl", in: folder)
        #expect(resumed.status == 1, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("1 file skipped, answered in out.jsonl"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("removed its cut-short last line"), "\(resumed.stderr)")
        let results = Self.lines(try String(contentsOf: out, encoding: .utf8))
        #expect(results.map { $0["path"] as? String ?? "?" }.sorted() == list.sorted(), "every file exactly once")

        // Everything answered: nothing analyzed, nothing written.
        let again = try Self.shell(command + " --skip-done out.jsonl >> out.jsonl", in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("5 files skipped"), "\(again.stderr)")
        #expect(Self.lines(try String(contentsOf: out, encoding: .utf8)).count == 5)

        let truncating = try Self.shell(command + " --skip-done out.jsonl > out.jsonl", in: folder)
        #expect(truncating.stderr.contains("opened without appending"), "\(truncating.stderr)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func bareKeyscanPrintsHelpAtATerminalAndServesOtherwise() throws {
        // stdin on a pseudo-terminal (stdout goes to a file).
        let terminal = try ProgressTests.onTerminal("'\(KeyscanRun.executable.path)'")
        #expect(terminal.stdout.contains("USAGE: keyscan <subcommand>"), "\(terminal)")
        #expect(!terminal.stdout.contains("\"type\""), "no server started")

        // Piped input, as an app starts it: the server, ready with keyscan's version and model.
        let piped = try KeyscanRun.run([], environment: ["KEYSCAN_MODEL": model])
        #expect(piped.status == 0, "end of input ends the server: \(piped.stderr)")
        let ready = Self.lines(piped.stdout).first
        #expect(ready?["type"] as? String == "ready")
        #expect(ready?["version"] as? String == KeyscanVersion.current)
        #expect((ready?["model"] as? String)?.hasPrefix("keyscan-pipeline-") == true, "\(piped.stdout)")
        let withOptions = try KeyscanRun.run(["-w", "1", "-m", model, "--cpus", "1"])
        #expect(withOptions.status == 0)
        #expect(Self.lines(withOptions.stdout).first?["type"] as? String == "ready")
        let noCPU = try KeyscanRun.run(["serve", "-m", model, "--cpus", "0"])
        #expect(noCPU.status == 2)
        #expect(noCPU.stderr.contains("--cpus must be at least 1"), "\(noCPU.stderr)")
    }
}
