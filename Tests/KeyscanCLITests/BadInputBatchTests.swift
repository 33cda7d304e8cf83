import Foundation
import Glibc
import KeyscanTestSupport
import Testing

/// Every kind of input a decades-old library holds, in one folder, through one run of the
/// real binary: each file gets its own result, and none stops, hangs or crashes the batch.
///
/// DRM-protected files cannot be made here (that takes a store's encryption); FFmpeg
/// reads their container and finds no decoder for the protected stream, so they take the
/// `unsupported_codec` path that `DecodeErrorTests.codecFFmpegDoesNotKnow` covers.
@Suite struct BadInputBatchTests {
    /// The shipped model: the cadences' keys are checked, which the tiny test model cannot find.
    static let model = ShippedModelTests.weights.path

    /// What the run must report for a file: a key, no key for a reason, or an error code.
    enum Expected: Equatable {
        case key(String)
        case noKey(String)
        case error(String)
    }

    /// 6 s of an A minor cadence: the shipped model finds 8A in it (see ShippedModelTests).
    static let cadence = TestAudio.cadence(tonic: 9, minor: true, seconds: 6)

    /// Makes every input in `folder`; returns what each, by name relative to it, must give.
    static func makeInputs(in folder: TemporaryFolder) throws -> [String: Expected] {
        var expected: [String: Expected] = [:]
        let fm = FileManager.default
        let wav = folder.path("source.wav")
        try TestAudio.writeWAV(wav, channels: [cadence, cadence])
        expected["source.wav"] = .key("8A")

        // Formats users have that are fine.
        try TestAudio.encode(wav, to: folder.path("mono 8 kHz.wav"), ["-ac", "1", "-ar", "8000"])
        try TestAudio.encode(wav, to: folder.path("96 kHz 24-bit.wav"), ["-ar", "96000", "-c:a", "pcm_s24le"])
        try TestAudio.writeWAV(folder.path("six channels.wav"), channels: Array(repeating: cadence, count: 6))
        try TestAudio.encode(wav, to: folder.path("video with audio.mp4"),
                             ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=6", "-map", "1:v", "-map", "0:a",
                              "-c:v", "mpeg4", "-c:a", "aac", "-shortest"])
        for name in ["mono 8 kHz.wav", "96 kHz 24-bit.wav", "six channels.wav", "video with audio.mp4"] {
            expected[name] = .key("8A")
        }
        for name in ["it's \"quoted\", with spaces.flac", "🎹 emoji 🎶.flac", "Бах — Прелюдия.flac", "ピアノ曲.flac",
                     "موسيقى.flac", "back\\slash.flac"] {
            try TestAudio.encode(wav, to: folder.path(name))
            expected[name] = .key("8A")
        }

        // Damaged but analyzable: 8 s so that half of it is still 4 s.
        let long = folder.path("long source.wav")
        try TestAudio.writeWAV(long, mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 8))
        let mp3 = folder.path("long source.mp3")
        try TestAudio.encode(long, to: mp3, ["-b:a", "192k"])
        try fm.removeItem(at: long)
        let bytes = try Data(contentsOf: mp3)
        try fm.removeItem(at: mp3)
        try bytes.prefix(10 * 1024).write(to: folder.path("truncated at 10 KB.mp3"))
        expected["truncated at 10 KB.mp3"] = .error("too_short")
        try bytes.prefix(bytes.count / 2).write(to: folder.path("truncated half way.mp3"))
        expected["truncated half way.mp3"] = .key("8A")
        var corrupt = [UInt8](bytes)
        corrupt.replaceSubrange(corrupt.count / 3..<(corrupt.count / 3 + 4096), with: TestBytes.pseudoRandom(4096))
        try Data(corrupt).write(to: folder.path("corrupt middle.mp3"))
        expected["corrupt middle.mp3"] = .key("8A")
        try claimFrames(23_000, in: bytes).write(to: folder.path("lying header.mp3"))  // 600.8 s claimed
        expected["lying header.mp3"] = .key("8A")

        // Not audio at all.
        try Data().write(to: folder.path("empty.mp3"))
        try Data(TestBytes.pseudoRandom(20_000)).write(to: folder.path("random bytes.mp3"))
        try Data("Liner notes, not audio.\n".utf8).write(to: folder.path("text.wav"))
        try Data(TestBytes.onePixelPNG).write(to: folder.path("image.flac"))
        for name in ["empty.mp3", "random bytes.mp3", "text.wav", "image.flac"] { expected[name] = .error("not_audio") }
        try TestAudio.encode(wav, to: folder.path("video without audio.mkv"),
                             ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=1", "-map", "1:v", "-c:v", "mpeg4"])
        expected["video without audio.mkv"] = .error("no_audio_stream")

        // Audio without a key to give.
        try TestAudio.writeWAV(folder.path("0.2 s.wav"), mono: Array(cadence.prefix(TestAudio.rate / 5)))
        expected["0.2 s.wav"] = .error("too_short")
        try TestAudio.writeWAV(folder.path("digital silence.wav"), mono: [Float](repeating: 0, count: 4 * TestAudio.rate))
        expected["digital silence.wav"] = .noKey("silent")
        try TestAudio.encode(wav, to: folder.path("white noise.wav"), ["-f", "lavfi", "-i", "anoisesrc=color=white:a=0.5:d=4:seed=1",
                                                                     "-map", "1:a"])
        try TestAudio.encode(wav, to: folder.path("brown noise.ogg"), ["-f", "lavfi", "-i", "anoisesrc=color=brown:a=0.5:d=4:seed=2",
                                                                     "-map", "1:a", "-c:a", "libvorbis"])
        expected["white noise.wav"] = .noKey("no_tonal_content")
        expected["brown noise.ogg"] = .noKey("no_tonal_content")

        // Things that are not files to read.
        try fm.createDirectory(at: folder.path("album.mp3"), withIntermediateDirectories: false)  // walked, not read
        try fm.copyItem(at: folder.path("source.wav"), to: folder.path("album.mp3/inside.wav"))
        expected["album.mp3/inside.wav"] = .key("8A")
        #expect(mkfifo(folder.path("pipe.mp3").path, 0o644) == 0)
        expected["pipe.mp3"] = .error("not_a_file")
        try fm.createSymbolicLink(atPath: folder.path("loop.mp3").path, withDestinationPath: "loop.mp3")
        expected["loop.mp3"] = .error("symlink_loop")
        try fm.createSymbolicLink(atPath: folder.path("dangling.mp3").path, withDestinationPath: "gone.mp3")
        expected["dangling.mp3"] = .error("file_not_found")
        try fm.createDirectory(at: folder.path("nested"), withIntermediateDirectories: false)
        try fm.createSymbolicLink(atPath: folder.path("nested/up").path, withDestinationPath: "..")  // folder loop: skipped
        try fm.createDirectory(at: folder.path("read-only"), withIntermediateDirectories: false)
        try fm.copyItem(at: folder.path("source.wav"), to: folder.path("read-only/track.wav"))
        chmod(folder.path("read-only/track.wav").path, 0o444)
        chmod(folder.path("read-only").path, 0o555)
        expected["read-only/track.wav"] = .key("8A")
        try fm.copyItem(at: folder.path("source.wav"), to: folder.path("locked.wav"))
        chmod(folder.path("locked.wav").path, 0o000)
        expected["locked.wav"] = .error("permission_denied")
        return expected
    }

    /// Through the shipped model's fast front end (MP3 through libmpg123), and the exact one.
    @Test(arguments: [[String](), ["--exact"]])
    func oneRunOverEveryKindOfInput(frontEnd: [String]) throws {
        let folder = try TemporaryFolder()
        defer { chmod(folder.path("read-only").path, 0o755) }  // so the folder can be removed
        var expected = try Self.makeInputs(in: folder)
        let missing = folder.path("not there.mp3").path
        expected["not there.mp3"] = .error("file_not_found")

        let started = ContinuousClock.now
        let run = try Self.runUnprivileged(["analyze", "--model", Self.model] + frontEnd + [folder.url.path, missing])
        let elapsed = ContinuousClock.now - started

        #expect(run.status == 1, "some files failed")
        let results = try run.results()  // stdout is one valid JSON array
        let prefix = folder.url.path + "/"
        let byName = Dictionary(results.map { (($0["path"] as! String).replacingOccurrences(of: prefix, with: ""), [$0]) },
                                uniquingKeysWith: +)
        #expect(Set(byName.keys) == Set(expected.keys), "exactly one result per input; the folder loop adds nothing")
        for (name, want) in expected.sorted(by: { $0.key < $1.key }) {
            guard let list = byName[name] else { continue }
            #expect(list.count == 1, "\(name) reported \(list.count) times")
            let r = list[0]
            switch want {
            case .key(let camelot):
                #expect(r["status"] as? String == "ok", "\(name): \(r)")
                #expect(r["camelot"] as? String == camelot, "\(name): \(r)")
                #expect((r["tonality"] as? Double).map { $0 > 0.1 } == true, "\(name): \(r)")
            case .noKey(let code):
                #expect(r["status"] as? String == "no_key", "\(name): \(r)")
                let reason = r["reason"] as? [String: Any]
                #expect(reason?["code"] as? String == code, "\(name): \(r)")
                #expect((reason?["message"] as? String)?.contains(name) == true)
                #expect(r["tonality"] is Double && r["duration_s"] is Double, "\(name): \(r)")
            case .error(let code):
                #expect(r["status"] as? String == "error", "\(name): \(r)")
                let error = r["error"] as? [String: Any]
                #expect(error?["code"] as? String == code, "\(name): \(r)")
                // Each message names its file, so a user can find it in a long list.
                #expect((error?["message"] as? String)?.contains(name) == true, "\(name): \(r)")
            }
        }
        let warnings = { (name: String) in (byName[name]?.first?["warnings"] as? [String]) ?? [] }
        // Both front ends: FFmpeg's decoder and libmpg123 (MPG123DecoderTests.decodesAroundDamage).
        #expect(warnings("corrupt middle.mp3").contains { $0.hasPrefix("skipped") && $0.contains("corrupt") },
                "\(warnings("corrupt middle.mp3"))")
        #expect(warnings("lying header.mp3").contains { $0.hasPrefix("header declares 600.8 s but only 8.0 s decoded") },
                "\(warnings("lying header.mp3"))")
        #expect(warnings("truncated half way.mp3").contains { $0.hasPrefix("header declares 8.0 s but only") },
                "\(warnings("truncated half way.mp3"))")
        #expect(warnings("source.wav").isEmpty && warnings("six channels.wav").isEmpty)
        // About 40 files of seconds each: well under the default deadline, and quick.
        #expect(elapsed < .seconds(60), "the batch took \(elapsed)")
    }

    @Test func aFileThatRunsPastItsDeadlineFailsAndTheNextIsAnalyzed() throws {
        let folder = try TemporaryFolder()
        // 60 min of 8 kHz 8-bit mono, 29 MB: several seconds of work, against a 0.5 s limit
        // that the budget per audio second (0 here) cannot extend.
        let long = folder.path("1 long.wav")
        try Self.writeUnsigned8BitWAV(long, rate: 8000, seconds: 3600)
        try TestAudio.writeWAV(folder.path("2 next.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 3))

        let started = ContinuousClock.now
        let run = try KeyscanRun.run(["analyze", "--model", KeyscanRun.tinyModel, "--jobs", "1", "--timeout", "0.5",
                                      "--timeout-per-audio-second", "0", folder.url.path])
        let elapsed = ContinuousClock.now - started

        #expect(run.status == 1)
        let results = try run.results()
        #expect(results.map { $0["status"] as? String } == ["error", "ok"], "\(results)")
        let error = try #require(results.first?["error"] as? [String: Any])
        #expect(error["code"] as? String == "timeout")
        let message = try #require(error["message"] as? String)
        #expect(message.contains(long.path) && message.contains("0.50 s + 0.00 s per second of audio"), "\(message)")
        #expect(elapsed < .seconds(5), "the long file was abandoned, not decoded to the end (\(elapsed))")
    }

    /// KEYSCAN_STRESS=1 swift test --filter stress: 320 short files on 8 jobs (more than this
    /// machine's cores), each must get exactly one result, with its key.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KEYSCAN_STRESS"] == "1"))
    func stressManyShortFilesOnMoreJobsThanCores() throws {
        let folder = try TemporaryFolder()
        // Four keys, 80 hard links each: the files are quick to make, and each is read afresh.
        // 8 s, the length at which ShippedModelTests finds all 24 keys (at 4 s it misreads E minor).
        let keys = [(9, true), (0, false), (7, false), (4, true)]
        var expected: [String: String] = [:]
        for (k, key) in keys.enumerated() {
            let source = folder.path("source-\(k).wav")
            try TestAudio.writeWAV(source, mono: TestAudio.cadence(tonic: key.0, minor: key.1, seconds: 8))
            for i in 0..<80 {
                let name = String(format: "%d-%03d.wav", k, i)
                try FileManager.default.linkItem(at: source, to: folder.path(name))
                expected[name] = TestAudio.camelot(tonic: key.0, minor: key.1)
            }
            try FileManager.default.removeItem(at: source)
        }
        let started = ContinuousClock.now
        let run = try KeyscanRun.run(["analyze", "--model", Self.model, "--jobs", "8", "--format", "jsonl", folder.url.path])
        let elapsed = ContinuousClock.now - started
        print("stress: \(expected.count) files, --jobs 8 on \(ProcessInfo.processInfo.activeProcessorCount) cores: \(elapsed)")

        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        let results = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(results.count == expected.count)
        let found = Dictionary(results.map { (URL(fileURLWithPath: $0["path"] as! String).lastPathComponent, [$0["camelot"] as? String]) },
                               uniquingKeysWith: +)
        #expect(found.count == expected.count, "every file exactly once")
        let wrong = expected.filter { found[$0.key] != [$0.value] }.sorted { $0.key < $1.key }
        #expect(wrong.isEmpty, "\(wrong.count) wrong, e.g. \(wrong.prefix(3).map { "\($0.key): expected \($0.value), got \(found[$0.key] ?? [])" })")
    }

    /// Runs keyscan so that file permissions apply: as root (containers, CI images) it
    /// drops to nobody with setpriv, since root may read a file whatever its mode.
    static func runUnprivileged(_ arguments: [String]) throws -> KeyscanRun {
        guard getuid() == 0 else { return try KeyscanRun.run(arguments) }
        return try KeyscanRun.run(["--reuid=65534", "--regid=65534", "--clear-groups", KeyscanRun.executable.path] + arguments,
                                  executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
    }

    /// An MP3 whose LAME Info (or Xing) header claims `frames` frames.
    static func claimFrames(_ frames: UInt32, in mp3: Data) throws -> Data {
        var bytes = [UInt8](mp3)
        let tags = [Array("Info".utf8), Array("Xing".utf8)]
        let at = try #require((0..<(bytes.count - 12)).first { i in tags.contains { Array(bytes[i..<(i + 4)]) == $0 } })
        #expect(bytes[at + 7] & 1 == 1, "the header has a frame count")
        for k in 0..<4 { bytes[at + 8 + k] = UInt8(truncatingIfNeeded: frames >> (8 * UInt32(3 - k))) }
        return Data(bytes)
    }

    /// A mono 8-bit WAV of a 440 Hz square wave, written in one go: the cheapest long file.
    static func writeUnsigned8BitWAV(_ url: URL, rate: Int, seconds: Int) throws {
        let count = rate * seconds
        var data = Data(capacity: 44 + count)
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + count))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1)); append(UInt16(1))
        append(UInt32(rate)); append(UInt32(rate)); append(UInt16(1)); append(UInt16(8))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(count))
        let period = (0..<(rate / 440)).map { $0 < rate / 880 ? UInt8(160) : UInt8(96) }
        var samples = [UInt8](repeating: 0, count: count)
        for i in 0..<count { samples[i] = period[i % period.count] }
        data.append(contentsOf: samples)
        try data.write(to: url)
    }

}
