import Foundation
import Testing

/// `keyscan analyze`, run as users run it: the real binary on files made here.
@Suite(.serialized) struct AnalyzeCommandTests {
    let model = KeyscanRun.tinyModel

    /// A folder holding one good file per container, bad files of every kind, a hidden
    /// file, a text file, a nested folder and a symlink loop.
    static func makeLibrary() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let chord = TestAudio.cadence(tonic: 9, minor: true, seconds: 6)
        let wav = folder.path("a-minor.wav")
        try TestAudio.writeWAV(wav, channels: [chord, chord])
        try TestAudio.encode(wav, to: folder.path("a-minor.mp3"), ["-b:a", "192k"])
        try TestAudio.encode(wav, to: folder.path("a-minor.flac"))
        try FileManager.default.createDirectory(at: folder.path("nested/deeper"), withIntermediateDirectories: true)
        try TestAudio.encode(wav, to: folder.path("nested/deeper/a-minor.ogg"), ["-c:a", "libvorbis"])
        try TestAudio.encode(wav, to: folder.path("nested/a-minor.m4a"), ["-c:a", "aac"])
        try TestAudio.writeWAV(folder.path(".hidden.wav"), mono: chord)
        try Data("just words".utf8).write(to: folder.path("notes.txt"))
        try Data().write(to: folder.path("empty.mp3"))
        try Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: folder.path("noise-bytes.mp3"))
        try TestAudio.writeWAV(folder.path("short.wav"), mono: TestAudio.sine(440, seconds: 0.2))
        try TestAudio.writeWAV(folder.path("silent.wav"), mono: [Float](repeating: 0, count: 3 * 44100))
        try FileManager.default.createSymbolicLink(atPath: folder.path("nested/loop").path, withDestinationPath: "..")
        return folder
    }

    @Test func batchReportsEveryFileSortedAndGoesOnPastBadOnes() throws {
        let library = try Self.makeLibrary()
        let missing = library.path("not-there.mp3").path
        let run = try KeyscanRun.run(["analyze", "--model", model, library.url.path, missing])
        #expect(run.status == 1, "some files failed, so the exit status is 1")
        let results = try run.results()
        let paths = results.map { $0["path"] as! String }
        #expect(paths == paths.sorted())
        let byName = Dictionary(uniqueKeysWithValues: results.map { (URL(fileURLWithPath: $0["path"] as! String).path
            .replacingOccurrences(of: library.url.path + "/", with: ""), $0) })
        #expect(Set(byName.keys) == ["a-minor.wav", "a-minor.mp3", "a-minor.flac", "nested/a-minor.m4a",
                                     "nested/deeper/a-minor.ogg", "empty.mp3", "noise-bytes.mp3", "short.wav",
                                     "silent.wav", "not-there.mp3"], "hidden files, text files and the symlink loop are skipped")
        for name in ["a-minor.wav", "a-minor.mp3", "a-minor.flac", "nested/a-minor.m4a", "nested/deeper/a-minor.ogg"] {
            let r = try #require(byName[name])
            #expect(r["status"] as? String == "ok", "\(name): \(r)")
            #expect((r["camelot"] as? String)?.range(of: #"^([1-9]|1[0-2])[AB]$"#, options: .regularExpression) != nil)
            #expect((r["openkey"] as? String)?.range(of: #"^([1-9]|1[0-2])[md]$"#, options: .regularExpression) != nil)
            #expect(r["key"] is String)
            let confidence = try #require(r["confidence"] as? Double)
            #expect(confidence > 0 && confidence <= 1)
            #expect((r["alternatives"] as? [[String: Any]])?.count == 3)
            let duration = try #require(r["duration_s"] as? Double)
            #expect(abs(duration - 6) < 0.1, "\(name) lasts 6 s, got \(duration)")
        }
        let silent = try #require(byName["silent.wav"])
        #expect(silent["status"] as? String == "no_key")
        #expect((silent["reason"] as? [String: Any])?["code"] as? String == "silent")
        let expectedErrors = ["empty.mp3": "not_audio", "noise-bytes.mp3": "not_audio", "short.wav": "too_short",
                              "not-there.mp3": "file_not_found"]
        for (name, code) in expectedErrors {
            let r = try #require(byName[name])
            #expect(r["status"] as? String == "error")
            let error = try #require(r["error"] as? [String: Any])
            #expect(error["code"] as? String == code, "\(name): \(error)")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func allGoodMeansExitZeroAndTheSameResultsWithAnyJobCount() throws {
        let folder = try TemporaryFolder()
        for (i, tonic) in [0, 2, 7, 9].enumerated() {
            try TestAudio.writeWAV(folder.path("track \(i) ✓ \"q\".wav"), mono: TestAudio.cadence(tonic: tonic, minor: i % 2 == 0, seconds: 4))
        }
        let one = try KeyscanRun.run(["analyze", "--model", model, "--jobs", "1", folder.url.path])
        let many = try KeyscanRun.run(["analyze", "--model", model, "-j", "3", folder.url.path])
        #expect(one.status == 0)
        #expect(many.status == 0)
        #expect(try one.results().count == 4)
        #expect(one.stdout == many.stdout, "output order and numbers do not depend on threads")
    }

    /// A float WAV holding NaN, infinite and absurdly large samples still gets a key, with
    /// finite numbers in valid JSON and warnings saying what was replaced.
    @Test func corruptFloatSamplesGiveAKeyAndWarnings() throws {
        let folder = try TemporaryFolder()
        let source = folder.path("source.wav"), broken = folder.path("broken-float.wav")
        try TestAudio.writeWAV(source, mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        try TestAudio.encode(source, to: broken, ["-c:a", "pcm_f32le"])
        var bytes = [UInt8](try Data(contentsOf: broken))
        let dataChunk = try #require((0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual("data".utf8) })
        for (sample, value) in [(10_000, Float.nan), (20_000, .infinity), (30_000, 1e30)] {
            let offset = dataChunk + 8 + 4 * sample
            bytes.replaceSubrange(offset..<(offset + 4), with: withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init))
        }
        try Data(bytes).write(to: broken)

        let run = try KeyscanRun.run(["analyze", "--model", model, broken.path])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try run.results().first)
        #expect(result["status"] as? String == "ok")
        let confidence = try #require(result["confidence"] as? Double)
        #expect(confidence > 0 && confidence <= 1)
        #expect(result["warnings"] as? [String] == ["replaced 2 NaN or infinite samples with silence", "clipped 1 sample beyond ±1000"])
    }

    @Test func jsonLinesAndCSV() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("one, two.wav"), mono: TestAudio.cadence(tonic: 0, minor: false, seconds: 4))
        try Data("x".utf8).write(to: folder.path("bad.wav"))
        let lines = try KeyscanRun.run(["analyze", "--model", model, "--format", "jsonl", folder.url.path])
        #expect(lines.status == 1)
        let objects = lines.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 2)
        #expect(objects.allSatisfy { $0 != nil })
        #expect(Set(objects.compactMap { $0?["status"] as? String }) == ["ok", "error"])

        let csv = try KeyscanRun.run(["analyze", "--model", model, "--format", "csv", folder.url.path])
        let rows = csv.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first == "path,status,key,camelot,openkey,confidence,duration_s,error_code,error_message,cached,tag_status,tag_value,tag_message,tuning_cents,reference_hz,key_changes,segments")
        #expect(rows.count == 3)
        #expect(rows[1].hasPrefix("\(folder.url.path)/bad.wav,error,,,,,,not_audio,"))
        #expect(rows[2].hasPrefix("\"\(folder.url.path)/one, two.wav\",ok,"))
    }

    /// Silence has no key, and saying so is an answer, not a failure: exit status 0.
    @Test func noKeyIsNotAFailure() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("a.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        try TestAudio.writeWAV(folder.path("b silence.wav"), mono: [Float](repeating: 0, count: 3 * TestAudio.rate))
        let run = try KeyscanRun.run(["analyze", "--model", model, "--format", "csv", folder.url.path])
        #expect(run.status == 0, "\(run.stdout)")
        let rows = run.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 3)
        #expect(rows.last?.hasPrefix("\(folder.url.path)/b silence.wav,no_key,,,,,3.00,silent,") == true, "\(rows)")
    }

    @Test func profilingGoesToStderrAndLeavesStdoutAlone() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("t.wav"), mono: TestAudio.cadence(tonic: 4, minor: true, seconds: 4))
        let plain = try KeyscanRun.run(["analyze", "--model", model, folder.url.path])
        let profiled = try KeyscanRun.run(["analyze", "--model", model, folder.url.path], environment: ["PROFILE_PERFORMANCE": "1"])
        #expect(plain.stdout == profiled.stdout)
        #expect(plain.stderr.isEmpty)
        for word in ["open", "decode+resample", "transform", "model", "total", "realtime", "wall", "files/s", "audio per wall second"] {
            #expect(profiled.stderr.contains(word), "profile lacks \(word)")
        }
    }

    @Test(arguments: [
        (["analyze"], "at least one"),
        (["analyze", "--jobs", "0", "x.mp3"], "--jobs"),
        (["analyze", "--format", "xml", "x.mp3"], "format"),
        (["analyze", "--model", "/no/such/model.safetensors", "x.mp3"], "model"),
        (["analyse", "x.mp3"], "analyse"),
        (["analyze", "--timeout", "0", "x.mp3"], "--timeout"),
        (["analyze", "--timeout", "-5", "x.mp3"], "--timeout"),
        (["analyze", "--timeout-per-audio-second", "-1", "x.mp3"], "--timeout-per-audio-second"),
    ])
    func usageErrorsExitTwo(arguments: [String], mention: String) throws {
        let run = try KeyscanRun.run(arguments)
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains(mention), "stderr: \(run.stderr)")
    }

    @Test func aModelThatIsNotAModelIsRefusedClearly() throws {
        let folder = try TemporaryFolder()
        let fake = folder.path("model.safetensors")
        try Data("not a model at all".utf8).write(to: fake)
        let run = try KeyscanRun.run(["analyze", "--model", fake.path, "x.mp3"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot load the model"))
    }

    @Test func withoutAModelItSaysWhereToGetOne() throws {
        // A copy of the binary outside the checkout finds no Weights/ folder above it.
        let folder = try TemporaryFolder()
        let copy = folder.path("keyscan")
        try FileManager.default.copyItem(at: KeyscanRun.executable, to: copy)
        let run = try KeyscanRun.run(["analyze", "x.mp3"], environment: ["KEYSCAN_MODEL": ""], executable: copy)
        #expect(run.status == 2)
        #expect(run.stderr.contains("no model found"))
        #expect(run.stderr.contains("--model"))
    }

    @Test func helpDescribesTheCommand() throws {
        let run = try KeyscanRun.run(["analyze", "--help"])
        #expect(run.status == 0)
        for word in ["--format", "--jobs", "--model", "--timeout", "--timeout-per-audio-second", "no_key", "json", "jsonl", "csv",
                     "PROFILE_PERFORMANCE", "--write-tags", "--tag-notation", "--overwrite-tags", "camelot", "openkey", "standard",
                     "--cache", "--no-cache", "--quiet", "--files-from", "--null", "--skip-done"] {
            #expect(run.stdout.contains(word), "help lacks \(word)")
        }
    }

    /// With the real reference weights (converted locally, never committed):
    /// KEYSCAN_REFERENCE_MODEL=/path/to/keynet.safetensors swift test
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KEYSCAN_REFERENCE_MODEL"] != nil))
    func referenceModelFindsCadenceKeys() throws {
        let reference = ProcessInfo.processInfo.environment["KEYSCAN_REFERENCE_MODEL"]!
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("a-minor.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 16))
        try TestAudio.writeWAV(folder.path("c-major.wav"), mono: TestAudio.cadence(tonic: 0, minor: false, seconds: 16))
        let run = try KeyscanRun.run(["analyze", "--model", reference, folder.url.path])
        let keys = try run.results().map { $0["camelot"] as? String }
        #expect(keys == ["8A", "8B"])
    }
}
