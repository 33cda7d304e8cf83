import Foundation
import Testing

/// `keyscan report` and `keyscan mix` end to end, on results files written the way `analyze`
/// writes them, and on the cache a real `analyze` run fills.
@Suite struct ReportMixCommandTests {
    /// An `ok` result line for `path`: its key timeline as Camelot keys, 60 s each.
    static func line(_ path: String, _ keys: [String], cents: Double = 0, confidence: Double = 0.9) -> String {
        let segments = keys.enumerated().map { i, key in
            ["start_s": 60 * i, "end_s": 60 * (i + 1), "key": "?", "camelot": key, "openkey": "?", "confidence": confidence] as [String: Any]
        }
        let object: [String: Any] = [
            "path": path, "status": "ok", "key": "?", "camelot": keys[0], "openkey": "?", "confidence": confidence,
            "alternatives": [], "duration_s": 60 * keys.count, "tuning_cents": cents, "reference_hz": 440,
            "key_changes": keys.count - 1, "segments": segments,
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A folder of (empty) tracks and the results naming them; `ends.mp3` modulates 8B → 11B.
    static func library() throws -> (TemporaryFolder, URL) {
        let folder = try TemporaryFolder()
        let music = folder.path("music")
        try FileManager.default.createDirectory(at: music, withIntermediateDirectories: true)
        let tracks: [(String, [String], Double)] = [
            ("ends.mp3", ["8B", "11B"], 0), ("a-major.mp3", ["11B"], 0), ("e-major.mp3", ["12B"], 0),
            ("c-major.mp3", ["8B"], 0), ("a-minor.mp3", ["8A"], 0), ("sharp.mp3", ["1B"], 45), ("flat.mp3", ["12B"], -45),
        ]
        var lines: [String] = []
        for (name, keys, cents) in tracks {
            try Data().write(to: music.appendingPathComponent(name))
            lines.append(line(music.appendingPathComponent(name).path, keys, cents: cents))
        }
        lines.append(#"{"path": "\#(music.path)/broken.mp3", "status": "error", "error": {"code": "not_audio", "message": "broken.mp3 is not audio"}}"#)
        let results = folder.path("results.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: results)
        return (folder, results)
    }

    @Test func mixSuggestsFromTheTimelineEndAndNamesTracksByTheirResultPath() throws {
        let (folder, results) = try Self.library()
        let ends = folder.path("music/ends.mp3").path
        let run = try KeyscanRun.run(["mix", ends, "--library", results.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((object["last_key"] as? [String: Any])?["camelot"] as? String == "11B")
        let suggestions = try #require(object["suggestions"] as? [[String: Any]])
        let names = suggestions.map { ($0["path"] as? String ?? "").replacingOccurrences(of: folder.path("music").path + "/", with: "") }
        // 11B: a-major is the same key, e-major +1; flat.mp3 is 12B tuned 45 cents flat against
        // 0: it still sounds as 12B. sharp.mp3 is 1B at +45: 45 apart, it stays 1B (energy +2).
        #expect(names == ["a-major.mp3", "e-major.mp3", "flat.mp3", "sharp.mp3"], "\(names)")
        #expect(suggestions.map { $0["label"] as? String } == ["same key", "+1", "+1", "energy +2"])
        #expect(suggestions[2]["tuning_warning"] as? Bool == true && suggestions[3]["energy"] as? Bool == true)
        #expect(suggestions.allSatisfy { ($0["path"] as? String)?.hasPrefix("/") == true }, "paths as the results have them")

        let text = try KeyscanRun.run(["mix", ends, "--library", results.path, "--limit", "2"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("same key") && text.stdout.contains("a-major.mp3") && !text.stdout.contains("flat.mp3"), "\(text.stdout)")
    }

    /// Relative entries resolve against the playlist's folder; #EXTINF lines travel with their entry.
    @Test func orderKeepsCommentsWithTheirEntriesAndCountsTransitions() throws {
        let (folder, results) = try Self.library()
        let playlist = folder.path("music/set.m3u")
        try Data("""
            #EXTM3U
            #EXTINF:120,Ends in A major
            \(folder.path("music/ends.mp3").path)
            #EXTINF:60,C major
            c-major.mp3
            #EXTINF:60,E major
            e-major.mp3
            #EXTINF:60,A minor
            ../music/a-minor.mp3

            """.utf8).write(to: playlist)
        let run = try KeyscanRun.run(["mix", "--order", playlist.path, "--library", results.path])
        #expect(run.status == 0, "\(run.stderr)")
        // Two orders make all three transitions compatible: a-minor → c-major → ends → e-major
        // and c-major → a-minor → ends → e-major (relative, relative or same key, then 11B → 12B).
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "#EXTM3U" && lines.count == 9)
        let entries = stride(from: 1, to: lines.count - 1, by: 2).map { (lines[$0], lines[$0 + 1]) }
        let titles = ["A minor": "../music/a-minor.mp3", "C major": "c-major.mp3", "E major": "e-major.mp3",
                      "Ends in A major": folder.path("music/ends.mp3").path]
        for (info, path) in entries { #expect(titles[String(info.split(separator: ",").last ?? "")] == path, "\(info) then \(path)") }
        #expect([["A minor", "C major", "Ends in A major", "E major"], ["C major", "A minor", "Ends in A major", "E major"]]
            .contains(entries.map { String($0.0.split(separator: ",").last ?? "") }), "\(run.stdout)")
        #expect(run.stderr.contains("compatible transitions: 0 of 3 before, 3 of 3 after"), "\(run.stderr)")
    }

    @Test func reportWritesOnePageFromResultsFiles() throws {
        let (folder, results) = try Self.library()
        let page = folder.path("library.html")
        let run = try KeyscanRun.run(["report", results.path, "-o", page.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("7 tracks with a key, 1 without"))
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("\"ends.mp3\"") && html.contains("\"not_audio\""))
    }

    /// What the cache holds for a folder, after a real `analyze`.
    @Test func reportFromTheCache() throws {
        let folder = try TemporaryFolder()
        let music = folder.path("music")
        try FileManager.default.createDirectory(at: music, withIntermediateDirectories: true)
        try TestAudio.writeWAV(music.appendingPathComponent("a.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        try Data("not audio".utf8).write(to: music.appendingPathComponent("b.mp3"))
        let cache = ["XDG_CACHE_HOME": folder.path("cache").path]
        let analyzed = try KeyscanRun.run(["analyze", "--model", KeyscanRun.tinyModel, music.path], environment: cache)
        #expect(analyzed.status == 1)
        let page = folder.path("cached.html")
        let run = try KeyscanRun.run(["report", "--cache", music.path, "-o", page.path], environment: cache)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("1 tracks with a key, 1 without"), "\(run.stderr)")
        let other = try KeyscanRun.run(["report", "--cache", folder.path("cache").path, "-o", page.path], environment: cache)
        #expect(other.stderr.contains("0 tracks with a key, 0 without"), "a folder the cache knows nothing of: \(other.stderr)")
        let none = try KeyscanRun.run(["report", "--cache", music.path, "-o", page.path], environment: ["XDG_CACHE_HOME": folder.path("nothing").path])
        #expect(none.status == 2 && none.stderr.contains("no result cache at"), "\(none.stderr)")
    }

    /// Every bad input says what is wrong and exits 2, writing nothing to stdout.
    @Test func badInputsAreClearErrors() throws {
        let (folder, results) = try Self.library()
        let ends = folder.path("music/ends.mp3").path
        let page = folder.path("out.html").path
        let malformed = folder.path("malformed.jsonl")
        try Data((Self.line("/x.mp3", ["8A"]) + "\n{\"path\": \"/y.mp3\", \"status\": \n").utf8).write(to: malformed)
        let failuresOnly = folder.path("failures.jsonl")
        try Data(#"{"path": "/z.mp3", "status": "error", "error": {"code": "not_audio", "message": "z"}}"#.utf8).write(to: failuresOnly)
        let strangers = folder.path("strangers.m3u")
        try Data("music/ends.mp3\nmusic/unknown.mp3\n".utf8).write(to: strangers)

        let cases: [([String], String)] = [
            (["report", folder.path("missing.json").path, "-o", page], "cannot read \(folder.path("missing.json").path)"),
            (["report", malformed.path, "-o", page], "malformed.jsonl, line 2: not JSON"),
            (["report", "-o", page], "give results files (from keyscan analyze), or --cache"),
            (["report", results.path, "-o", folder.path("no/such/folder/x.html").path], "cannot write"),
            (["mix", ends, "--library", malformed.path], "line 2: not JSON"),
            (["mix", ends, "--library", failuresOnly.path], "the library holds no track with a key (1 results)"),
            (["mix", folder.path("music/none.mp3").path, "--library", results.path], "none.mp3 is not among the library's 7 tracks with a key"),
            (["mix", "--order", folder.path("absent.m3u").path, "--library", results.path], "cannot read the playlist"),
            (["mix", "--library", results.path], "give a track, or --order PLAYLIST, not both"),
            (["mix", ends, "--library", results.path, "--limit", "0"], "--limit must be at least 1, got 0"),
        ]
        for (arguments, message) in cases {
            let run = try KeyscanRun.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: page), "no page from bad input")

        // A playlist entry the library has no key for is kept, last, and named on stderr.
        let kept = try KeyscanRun.run(["mix", "--order", strangers.path, "--library", results.path])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout == "music/ends.mp3\nmusic/unknown.mp3\n", "\(kept.stdout)")
        #expect(kept.stderr.contains("compatible transitions: 0 of 1 before, 0 of 1 after"), "\(kept.stderr)")
        #expect(kept.stderr.contains("1 of the playlist's 2 entries have no key in the library, kept last: music/unknown.mp3"),
                "\(kept.stderr)")
    }
}
