import Foundation
import Testing

/// `keyscan analyze --write-tags`, run as users run it, every claim checked by FFmpeg's own
/// tools (ffprobe for the tags, ffmpeg's decoder for the audio) rather than by TagLib.
@Suite struct TagWriteCommandTests {
    let model = KeyscanRun.tinyModel

    /// Where ffprobe shows the key: which file, format or stream tags, under which name.
    struct Container: Sendable {
        let file: String
        let codec: [String]
        let level: String  // "format" or "stream"
        let tag: String
    }

    /// One file per container keyscan tags. `a.wav` is written by the tests (no INFO chunk), so
    /// ffprobe shows its ID3 tag; with an INFO chunk, as FFmpeg writes `info.wav`, ffprobe shows
    /// INFO and drops ID3 ("Discarding ID3 tags because more suitable tags were found"), so that
    /// file's TKEY frame is read from its ID3 chunk here.
    static let containers = [
        Container(file: "a.mp3", codec: ["-c:a", "libmp3lame", "-b:a", "128k"], level: "format", tag: "TKEY"),
        Container(file: "a.aiff", codec: ["-c:a", "pcm_s16be"], level: "format", tag: "TKEY"),
        Container(file: "a.wav", codec: [], level: "format", tag: "TKEY"),
        Container(file: "a.flac", codec: ["-c:a", "flac"], level: "format", tag: "INITIALKEY"),
        Container(file: "a.ogg", codec: ["-c:a", "libvorbis"], level: "stream", tag: "INITIALKEY"),
        Container(file: "a.opus", codec: ["-c:a", "libopus"], level: "stream", tag: "INITIALKEY"),
        Container(file: "a.m4a", codec: ["-c:a", "aac"], level: "format", tag: "initialkey"),
        Container(file: "a.wma", codec: ["-c:a", "wmav2"], level: "format", tag: "WM/InitialKey"),
    ]

    /// 2.5 s of D minor, made once: analysis needs 2 s that are not silent.
    static let chord = TestAudio.cadence(tonic: 2, minor: true, seconds: 2.5)

    static func makeLibrary() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let wav = folder.path("a.wav")
        try TestAudio.writeWAV(wav, channels: [Self.chord, Self.chord])
        try TestAudio.encode(wav, outputs: containers.filter { $0.file != "a.wav" }.map { (folder.path($0.file), $0.codec) } + [
            (folder.path("info.wav"), ["-c:a", "pcm_s16le", "-metadata", "title=Song"]),
            (folder.path("key.flac"), ["-c:a", "flac", "-metadata", "KEY=Dm"]),
        ])
        return folder
    }

    @Test func everyContainerGetsItsKeyAndKeepsItsAudio() throws {
        let library = try Self.makeLibrary()
        let files = Self.containers.map(\.file) + ["info.wav", "key.flac"]
        let paths = files.map { library.path($0).path }
        let audio = try decodedMD5(paths)

        // First run: every file gets the standard key, except the one with a KEY already.
        let first = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", library.url.path])
        #expect(first.status == 0, "\(first.stderr)")
        let firstResults = try byName(first, in: library)
        for name in files {
            let result = try #require(firstResults[name])
            let tag = try #require(result["tag"] as? [String: Any], "\(name): \(result)")
            if name == "key.flac" {
                #expect(tag["status"] as? String == "kept" && tag["value"] as? String == "Dm", "\(name): \(tag)")
            } else {
                #expect(tag["status"] as? String == "written", "\(name): \(tag)")
                #expect(tag["value"] as? String == standardTKEY(result["key"] as! String), "\(name): \(tag)")
            }
            #expect(tag["message"] == nil)
        }
        for container in Self.containers {
            let tags = try ffprobeTags(library.path(container.file).path, level: container.level)
            #expect(tags[container.tag] == standardTKEY(firstResults[container.file]!["key"] as! String),
                    "\(container.file): ffprobe shows \(tags)")
        }
        #expect(try id3Frame("TKEY", inWAV: library.path("info.wav").path) == standardTKEY(firstResults["info.wav"]!["key"] as! String))
        #expect(try decodedMD5(paths) == audio, "decoded audio changed")

        // Second run, another notation, no --overwrite-tags: every key is kept, no byte changes.
        let snapshot = try Dictionary(uniqueKeysWithValues: files.map { ($0, try Data(contentsOf: library.path($0))) })
        let second = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", "--tag-notation", "camelot", library.url.path])
        #expect(second.status == 0)
        for (name, result) in try byName(second, in: library) {
            let tag = try #require(result["tag"] as? [String: Any])
            #expect(tag["status"] as? String == "kept", "\(name): \(tag)")
            #expect(tag["value"] as? String == (name == "key.flac" ? "Dm" : standardTKEY(result["key"] as! String)))
            #expect(try Data(contentsOf: library.path(name)) == snapshot[name], "\(name) changed")
        }

        // Third run with --overwrite-tags: Camelot replaces every key, KEY included.
        let third = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", "--tag-notation", "camelot",
                                        "--overwrite-tags", "--format", "jsonl", library.url.path])
        #expect(third.status == 0)
        let thirdResults = try Dictionary(uniqueKeysWithValues: third.stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (URL(fileURLWithPath: object["path"] as! String).lastPathComponent, object)
        })
        for name in files {
            let result = try #require(thirdResults[name])
            let tag = try #require(result["tag"] as? [String: Any])
            #expect(tag["status"] as? String == "written" && tag["value"] as? String == result["camelot"] as? String, "\(name): \(tag)")
        }
        for container in Self.containers {
            let tags = try ffprobeTags(library.path(container.file).path, level: container.level)
            #expect(tags[container.tag] == thirdResults[container.file]!["camelot"] as? String, "\(container.file): \(tags)")
        }
        let keyFlac = try ffprobeTags(library.path("key.flac").path, level: "format")
        let camelot = thirdResults["key.flac"]!["camelot"] as? String
        #expect(keyFlac["INITIALKEY"] == camelot && keyFlac["KEY"] == camelot, "KEY updated with INITIALKEY: \(keyFlac)")
        #expect(try decodedMD5(paths) == audio, "decoded audio changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: library.url.path).sorted() == files.sorted(),
                "no temporary files left")
    }

    @Test func withoutWriteTagsNoFileIsTouched() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("g.wav"), mono: Self.chord)
        try TestAudio.encode(folder.path("g.wav"), outputs: [(folder.path("g.mp3"), []), (folder.path("g.flac"), [])])
        // An old time, so a rewrite could not go unnoticed within the clock's resolution.
        let old = Date(timeIntervalSince1970: 1_000_000_000)
        var before: [String: Data] = [:]
        for name in ["g.wav", "g.mp3", "g.flac"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder.path(name).path)
            before[name] = try Data(contentsOf: folder.path(name))
        }
        let run = try KeyscanRun.run(["analyze", "--model", model, folder.url.path])
        #expect(run.status == 0)
        #expect(!run.stdout.contains("\"tag\""))
        for name in ["g.wav", "g.mp3", "g.flac"] {
            #expect(try Data(contentsOf: folder.path(name)) == before[name])
            #expect(try FileManager.default.attributesOfItem(atPath: folder.path(name).path)[.modificationDate] as? Date == old)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).count == 3)
    }

    @Test func failedWritesLeaveFilesAsTheyWereAndExitOne() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("good.wav"), mono: Self.chord)
        try TestAudio.encode(folder.path("good.wav"), outputs: [(folder.path("read-only.mp3"), []), (folder.path("blocked.flac"), []),
                                                                (folder.path("flac.mka"), ["-c:a", "flac"])])
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: folder.path("read-only.mp3").path)
        // A folder where the temporary copy would go: creating the copy fails, even for root.
        try FileManager.default.createDirectory(at: folder.path(".blocked.keyscan-tmp.flac"), withIntermediateDirectories: false)
        let failing = ["read-only.mp3", "blocked.flac", "flac.mka"]
        let before = try Dictionary(uniqueKeysWithValues: failing.map { ($0, try Data(contentsOf: folder.path($0))) })

        let run = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", "--tag-notation", "openkey", folder.url.path])
        #expect(run.status == 1, "a failed tag write is a failure")
        let results = try byName(run, in: folder)
        let expected = ["read-only.mp3": "the file is read-only", "blocked.flac": "Is a directory",
                        "flac.mka": "TagLib reads it as FLAC but FFmpeg as matroska,webm"]
        for (name, reason) in expected {
            let result = try #require(results[name])
            #expect(result["status"] as? String == "ok", "the key is still reported")
            let tag = try #require(result["tag"] as? [String: Any])
            #expect(tag["status"] as? String == "failed")
            #expect(tag["value"] as? String == result["openkey"] as? String, "the value it tried to write")
            let message = try #require(tag["message"] as? String)
            #expect(message.contains(reason) && message.contains(name) && message.hasSuffix("the file is unchanged"), "\(message)")
            #expect(try Data(contentsOf: folder.path(name)) == before[name], "\(name) changed")
        }
        let good = try #require(results["good.wav"]?["tag"] as? [String: Any])
        #expect(good["status"] as? String == "written")
        #expect(try ffprobeTags(folder.path("good.wav").path, level: "format")["TKEY"] == results["good.wav"]?["openkey"] as? String)
    }

    @Test(.enabled(if: getuid() != 0, "root may write in any folder"))
    func aFolderThatIsNotWritableFailsTheWrite() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(at: folder.path("locked"), withIntermediateDirectories: false)
        let file = folder.path("locked/a.wav")
        try TestAudio.writeWAV(file, mono: Self.chord)
        let before = try Data(contentsOf: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path("locked").path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path("locked").path) }
        let run = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", file.path])
        #expect(run.status == 1)
        let tag = try #require(try run.results().first?["tag"] as? [String: Any])
        #expect(tag["status"] as? String == "failed")
        #expect((tag["message"] as? String)?.contains("Permission denied") == true, "\(tag)")
        #expect(try Data(contentsOf: file) == before)
    }

    @Test func anInterruptedWriteLeavesTheOriginalWholeAndTheNextRunFinishes() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("a.wav")
        try TestAudio.writeWAV(file, mono: Self.chord)
        let before = try Data(contentsOf: file)
        let audio = try decodedMD5(file.path)

        // Killed (SIGKILL) with the tagged copy verified and synced, just before rename(2).
        let killed = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", file.path],
                                        environment: ["KEYSCAN_TEST_KILL_BEFORE_RENAME": "1"])
        #expect(killed.killed && killed.status == SIGKILL)
        #expect(try Data(contentsOf: file) == before, "the original is byte-identical")
        #expect(try decodedMD5(file.path) == audio, "and still decodes")
        let stale = folder.path(".a.keyscan-tmp.wav")
        #expect(FileManager.default.fileExists(atPath: stale.path), "the copy the process died with")
        #expect(try ffprobeTags(stale.path, level: "format")["TKEY"] != nil, "it had got as far as the tagged copy")

        let next = try KeyscanRun.run(["analyze", "--model", model, "--write-tags", file.path])
        #expect(next.status == 0)
        let result = try #require(try next.results().first)
        let tag = try #require(result["tag"] as? [String: Any])
        #expect(tag["status"] as? String == "written")
        #expect(try ffprobeTags(file.path, level: "format")["TKEY"] == standardTKEY(result["key"] as! String))
        #expect(try decodedMD5(file.path) == audio)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["a.wav"], "the stale copy is gone")
    }

    @Test(arguments: [["--tag-notation", "camelot"], ["--overwrite-tags"], ["--write-tags", "--tag-notation", "lancelot"]])
    func misusedTagOptionsAreUsageErrors(_ options: [String]) throws {
        let folder = try TemporaryFolder()
        let file = folder.path("a.wav")
        try TestAudio.writeWAV(file, mono: Self.chord)
        let before = try Data(contentsOf: file)
        let run = try KeyscanRun.run(["analyze", "--model", model] + options + [file.path])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains(options.last == "lancelot" ? "lancelot" : "needs --write-tags"), "\(run.stderr)")
        #expect(try Data(contentsOf: file) == before)
    }
}

/// "A minor" → "Am", "Db major" → "Db": ID3's TKEY form, computed from the JSON on its own.
func standardTKEY(_ name: String) -> String {
    let parts = name.split(separator: " ")
    return String(parts[0]) + (parts[1] == "minor" ? "m" : "")
}

/// Results keyed by file name.
func byName(_ run: KeyscanRun, in folder: TemporaryFolder) throws -> [String: [String: Any]] {
    Dictionary(uniqueKeysWithValues: try run.results().map { (URL(fileURLWithPath: $0["path"] as! String).lastPathComponent, $0) })
}

/// MD5 of the audio of each file as FFmpeg decodes it: every sample of the first audio
/// stream as float32, which holds 16-bit and float decoders' output exactly. One ffmpeg
/// process for all the files (a process costs about 0.1 s).
func decodedMD5(_ paths: [String]) throws -> [String: String] {
    let inputs = paths.flatMap { ["-i", $0] }
    let maps = paths.indices.flatMap { ["-map", "\($0):a:0"] }
    let lines = try tool("ffmpeg", ["-nostdin", "-v", "error"] + inputs + maps
                         + ["-c:a", "pcm_f32le", "-f", "streamhash", "-hash", "md5", "-"]).split(separator: "\n")
    // "3,a,MD5=…": output stream 3 is input 3's audio.
    var hashes: [String: String] = [:]
    for line in lines {
        let fields = line.split(separator: ",")
        guard fields.count == 3, let index = Int(fields[0]), paths.indices.contains(index) else { continue }
        hashes[paths[index]] = String(fields[2])
    }
    guard hashes.count == paths.count else { throw CocoaError(.fileReadCorruptFile) }
    return hashes
}

func decodedMD5(_ path: String) throws -> String { try decodedMD5([path])[path]! }

/// The tags ffprobe shows, of the container ("format") or of the audio stream ("stream").
func ffprobeTags(_ path: String, level: String) throws -> [String: String] {
    let json = try tool("ffprobe", ["-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", path])
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    let source = level == "format" ? object?["format"] as? [String: Any] : (object?["streams"] as? [[String: Any]])?.first
    return (source?["tags"] as? [String: String]) ?? [:]
}

/// The text of an ID3v2 text frame in a WAV file's "ID3 " chunk, read byte by byte here.
func id3Frame(_ id: String, inWAV path: String) throws -> String? {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    func le32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(data[at + $1]) << (8 * $1) } }
    func be32(_ at: Int, syncsafe: Bool) -> Int { (0..<4).reduce(0) { $0 << (syncsafe ? 7 : 8) | Int(data[at + $1]) } }
    var offset = 12
    while offset + 8 <= data.count {
        let chunk = String(decoding: data[offset..<(offset + 4)], as: UTF8.self), size = le32(offset + 4)
        if chunk == "ID3 " || chunk == "id3 " {
            let tag = offset + 8, version = Int(data[tag + 3])
            guard data[tag..<(tag + 3)] == Data("ID3".utf8) else { return nil }
            let end = tag + 10 + be32(tag + 6, syncsafe: true)
            var frame = tag + 10
            while frame + 10 <= end && data[frame] != 0 {
                let frameID = String(decoding: data[frame..<(frame + 4)], as: UTF8.self)
                let frameSize = be32(frame + 4, syncsafe: version == 4)
                if frameID == id {
                    let text = data[(frame + 11)..<(frame + 10 + frameSize)]  // after the encoding byte
                    guard data[frame + 10] == 0 || data[frame + 10] == 3 else { return nil }  // Latin-1 or UTF-8
                    return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
                }
                frame += 10 + frameSize
            }
            return nil
        }
        offset += 8 + size + (size & 1)
    }
    return nil
}

/// Runs an FFmpeg tool and returns its stdout, trimmed.
func tool(_ name: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/" + name)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(name) failed on \(arguments.last ?? "")"])
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
