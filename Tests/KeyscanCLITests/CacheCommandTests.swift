import Foundation
import KeyscanTestSupport
import Testing

/// The result cache as `analyze` users meet it: second runs, changed files, bad caches.
@Suite(.serialized) struct CacheCommandTests {
    let model = KeyscanRun.tinyModel

    static func library() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("a.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        try TestAudio.writeWAV(folder.path("b.wav"), mono: TestAudio.cadence(tonic: 0, minor: false, seconds: 4))
        try Data("not audio".utf8).write(to: folder.path("c.mp3"))
        return folder
    }

    func analyze(_ folder: TemporaryFolder, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (KeyscanRun, [String: [String: Any]]) {
        let run = try KeyscanRun.run(["analyze", "--model", model, "--format", "jsonl"] + extra + [folder.url.path], environment: environment)
        let results = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (run, Dictionary(uniqueKeysWithValues: results.map { (($0["path"] as! NSString).lastPathComponent, $0) }))
    }

    @Test func secondRunComesFromTheCacheUntilAFileChanges() throws {
        let folder = try Self.library()
        let cache = ["--cache", folder.path("cache/results.sqlite").path]
        let (first, fresh) = try analyze(folder, cache)
        #expect(first.status == 1)
        #expect(fresh.values.allSatisfy { $0["cached"] == nil })

        let (second, cached) = try analyze(folder, cache)
        #expect(second.status == 1)
        #expect(cached.values.allSatisfy { $0["cached"] as? Bool == true })
        for name in ["a.wav", "b.wav"] { #expect(cached[name]?["key"] as? String == fresh[name]?["key"] as? String) }
        #expect((cached["c.mp3"]?["error"] as? [String: Any])?["code"] as? String == "not_audio")

        // Rewriting a file (new bytes, new mtime) means a fresh analysis of that file only.
        try TestAudio.writeWAV(folder.path("a.wav"), mono: TestAudio.cadence(tonic: 2, minor: true, seconds: 5))
        let (_, afterChange) = try analyze(folder, cache)
        #expect(afterChange["a.wav"]?["cached"] == nil)
        #expect(afterChange["b.wav"]?["cached"] as? Bool == true)

        // Another model is another identity.
        let (_, otherModel) = try analyze(folder, cache + ["--model", ShippedModelTests.weights.path])
        #expect(otherModel.values.allSatisfy { $0["cached"] == nil })

        let (_, uncached) = try analyze(folder, ["--no-cache"])
        #expect(uncached.values.allSatisfy { $0["cached"] == nil })
    }

    @Test func defaultCacheLivesUnderXDGCacheHome() throws {
        let folder = try Self.library()
        let home = try TemporaryFolder()
        _ = try analyze(folder, environment: ["XDG_CACHE_HOME": home.url.path])
        #expect(FileManager.default.fileExists(atPath: home.path("keyscan/results.sqlite").path))
        let (_, second) = try analyze(folder, environment: ["XDG_CACHE_HOME": home.url.path])
        #expect(second["a.wav"]?["cached"] as? Bool == true)
    }

    @Test func aCorruptOrUnwritableCacheOnlyWarns() throws {
        let folder = try Self.library()
        let corrupt = folder.path("corrupt.sqlite")
        try Data(repeating: 0x42, count: 8192).write(to: corrupt)
        let (run, results) = try analyze(folder, ["--cache", corrupt.path])
        #expect(results["a.wav"]?["status"] as? String == "ok")
        #expect(run.stderr.contains("warning: cannot open the cache \(corrupt.path)"), "\(run.stderr)")
        #expect(run.stderr.contains("continuing without a cache"))

        let (blocked, blockedResults) = try analyze(folder, ["--cache", folder.path("c.mp3/results.sqlite").path])
        #expect(blockedResults["b.wav"]?["status"] as? String == "ok")
        #expect(blocked.stderr.contains("warning: cannot open the cache"))
    }

    @Test func concurrentProcessesShareOneCache() throws {
        let folder = try Self.library()
        let cache = ["--cache", folder.path("shared.sqlite").path]
        let runs = Locked<[KeyscanRun]>([])
        let arguments = ["analyze", "--model", model] + cache + [folder.url.path]
        together(4) { _ in
            if let run = try? KeyscanRun.run(arguments) { runs.update { $0.append(run) } }
        }
        #expect(runs.get().count == 4)
        for run in runs.get() {
            #expect(run.status == 1)
            #expect(!run.stderr.contains("warning"), "\(run.stderr)")
        }
        let (_, after) = try analyze(folder, cache)
        #expect(after.values.allSatisfy { $0["cached"] as? Bool == true })
    }

    /// A script running batches in parallel on a cache no run has made yet: every batch
    /// uses it, none warns that it cannot open it while another creates its table.
    @Test func parallelBatchesOnANewCacheAllUseIt() throws {
        let folder = try TemporaryFolder()
        try Data("not audio".utf8).write(to: folder.path("c.mp3"))  // stored, and quick to analyze
        for round in 0..<4 {
            let arguments = ["analyze", "--model", model, "--cache", folder.path("cache\(round)/results.sqlite").path,
                             folder.path("c.mp3").path]
            let runs = Locked<[KeyscanRun]>([])
            together(6) { _ in
                if let run = try? KeyscanRun.run(arguments) { runs.update { $0.append(run) } }
            }
            #expect(runs.get().count == 6)
            for run in runs.get() { #expect(!run.stderr.contains("warning"), "\(run.stderr)") }
        }
    }

    @Test func writingATagKeepsTheFileCached() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("a.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 4))
        let cache = ["--cache", folder.path("results.sqlite").path]
        let (_, tagged) = try analyze(folder, cache + ["--write-tags"])
        #expect((tagged["a.wav"]?["tag"] as? [String: Any])?["status"] as? String == "written")
        // The write gave the file a new size and mtime, but its audio was verified unchanged.
        let (_, again) = try analyze(folder, cache)
        #expect(again["a.wav"]?["cached"] as? Bool == true)
        #expect(again["a.wav"]?["key"] as? String == tagged["a.wav"]?["key"] as? String)
    }

    @Test func cacheOptionsConflict() throws {
        let run = try KeyscanRun.run(["analyze", "--no-cache", "--cache", "/tmp/x.sqlite", "/tmp"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--cache and --no-cache"))
    }
}
