import Foundation
import GRDB
import KeyscanResults
import KeyscanTestSupport
import Testing
@testable import KeyscanCache

/// A fresh folder for one test, removed afterwards.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "keyscan-cache-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit {
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `bytes` to a file in the folder and returns its path.
    func file(_ name: String, bytes: Int = 100) throws -> String {
        let file = path + "/" + name
        try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

let key8A = KeyEstimate(probabilities: (0..<24).map { $0 == 7 ? 0.77 : 0.01 })

@Suite struct ResultCacheTests {
    @Test func storedResultComesBackMarkedCached() throws {
        let scratch = try Scratch()
        let cache = try ResultCache(path: scratch.path + "/cache/results.sqlite")
        let audio = try scratch.file("a b ü.mp3")
        let file = try #require(FileFingerprint(of: audio))
        let result = AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 12.5), warnings: ["skipped 1 corrupt packet"])
        try cache.store(result, for: file, model: "m1")

        let back = try #require(try cache.result(for: file, model: "m1", displayPath: audio))
        #expect(back.isCached)
        #expect(back.outcome == result.outcome)
        #expect(back.warnings == result.warnings)
        #expect(back.json.serialized == result.json.serialized.dropLast() + ", \"cached\": true}")
    }

    @Test func changedFileOrModelMeansNoResult() throws {
        let scratch = try Scratch()
        let cache = try ResultCache(path: scratch.path + "/results.sqlite")
        let audio = try scratch.file("a.mp3")
        let file = try #require(FileFingerprint(of: audio))
        try cache.store(AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 3)), for: file, model: "m1")

        #expect(try cache.result(for: file, model: "m2", displayPath: audio) == nil)
        let resized = FileFingerprint(path: file.path, size: file.size + 1, modified: file.modified)
        #expect(try cache.result(for: resized, model: "m1", displayPath: audio) == nil)
        let touched = FileFingerprint(path: file.path, size: file.size, modified: file.modified + 1)
        #expect(try cache.result(for: touched, model: "m1", displayPath: audio) == nil)
    }

    /// What `report --cache` reads: the newest entry of each unchanged file under a folder.
    @Test func latestResultsUnderAFolder() throws {
        let scratch = try Scratch()
        let cache = try ResultCache(path: scratch.path + "/results.sqlite")
        try FileManager.default.createDirectory(atPath: scratch.path + "/music", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.path + "/music0", withIntermediateDirectories: true)
        let kept = try #require(FileFingerprint(of: try scratch.file("music/a.mp3")))
        let changed = try #require(FileFingerprint(of: try scratch.file("music/b.mp3")))
        let beside = try #require(FileFingerprint(of: try scratch.file("music0/c.mp3")))
        let key3A = KeyEstimate(probabilities: (0..<24).map { $0 == 2 ? 0.77 : 0.01 })
        try cache.store(AnalysisResult(path: kept.path, outcome: .success(key8A, durationSeconds: 3)), for: kept, model: "m1")
        try cache.store(AnalysisResult(path: kept.path, outcome: .success(key3A, durationSeconds: 3)), for: kept, model: "m2")
        try cache.store(AnalysisResult(path: changed.path, outcome: .success(key8A, durationSeconds: 3)), for: changed, model: "m1")
        try cache.store(AnalysisResult(path: beside.path, outcome: .success(key8A, durationSeconds: 3)), for: beside, model: "m1")
        _ = try scratch.file("music/b.mp3", bytes: 200)

        let results = try cache.latestResults(under: kept.path.replacingOccurrences(of: "/a.mp3", with: ""))
        #expect(results.map(\.path) == [kept.path], "b.mp3 changed since; music0 is another folder")
        if case .success(let estimate, _) = results.first?.outcome { #expect(estimate.key.camelot == "3A", "the newer entry") }
        #expect(try cache.latestResults(under: "/").count == 2)
    }

    @Test func everyNameOfAFileSharesItsEntry() throws {
        let scratch = try Scratch()
        let audio = try scratch.file("a.mp3")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/link.mp3", withDestinationPath: audio)
        let direct = try #require(FileFingerprint(of: audio))
        let viaLink = try #require(FileFingerprint(of: scratch.path + "/link.mp3"))
        let viaDots = try #require(FileFingerprint(of: scratch.path + "/./sub/../a.mp3".replacingOccurrences(of: "/sub/..", with: "")))
        #expect(direct == viaLink)
        #expect(direct == viaDots)
        #expect(FileFingerprint(of: scratch.path) == nil)
        #expect(FileFingerprint(of: scratch.path + "/missing.mp3") == nil)
    }

    @Test func errorMessagesNameThePathUsedNow() throws {
        let scratch = try Scratch()
        let cache = try ResultCache(path: scratch.path + "/results.sqlite")
        let audio = try scratch.file("bad.mp3")
        let file = try #require(FileFingerprint(of: audio))
        try cache.store(AnalysisResult(path: audio, outcome: .failure(code: "not_audio", message: "\(audio) is not audio")),
                        for: file, model: "m")
        let back = try #require(try cache.result(for: file, model: "m", displayPath: "bad.mp3"))
        #expect(back.outcome == .failure(code: "not_audio", message: "bad.mp3 is not audio"))
    }

    @Test func onlyResultsThatWouldRepeatAreKept() {
        #expect(ResultCache.isWorthKeeping(AnalysisResult(path: "a", outcome: .success(key8A, durationSeconds: 3))))
        #expect(ResultCache.isWorthKeeping(AnalysisResult(path: "a", outcome: .failure(code: "not_audio", message: ""))))
        for transient in ["file_not_found", "permission_denied", "read_failed", "timeout", "cancelled", "model_failed"] {
            #expect(!ResultCache.isWorthKeeping(AnalysisResult(path: "a", outcome: .failure(code: transient, message: ""))))
        }
    }

    @Test func corruptCacheFileIsReportedNotFatal() throws {
        let scratch = try Scratch()
        let path = try scratch.file("results.sqlite", bytes: 4096)  // not a database
        #expect(throws: CacheError.self) { try ResultCache(path: path) }

        let warnings = Warnings()
        let cache = BestEffortCache(path: path, model: "m", warn: warnings.add)
        #expect(!cache.isEnabled)
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains("continuing without a cache") == true)
        guard case .miss(nil) = cache.lookup(path: try scratch.file("a.mp3")) else {
            Issue.record("a disabled cache must miss")
            return
        }
    }

    @Test func unwritableFolderIsReportedNotFatal() throws {
        guard getuid() != 0 else { return }  // root writes anywhere
        let scratch = try Scratch()
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: scratch.path)
        let warnings = Warnings()
        let cache = BestEffortCache(path: scratch.path + "/sub/results.sqlite", model: "m", warn: warnings.add)
        #expect(!cache.isEnabled)
        #expect(warnings.all.count == 1)
    }

    @Test func twoConnectionsShareOneFile() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/results.sqlite"
        let first = try ResultCache(path: path), second = try ResultCache(path: path)
        let audio = try scratch.file("a.mp3")
        let file = try #require(FileFingerprint(of: audio))
        try first.store(AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 3)), for: file, model: "m")
        #expect(try second.result(for: file, model: "m", displayPath: audio) != nil)
        // Bytes 18 and 19 of an SQLite file are its read and write versions: 2 means WAL.
        let header = try #require(FileHandle(forReadingAtPath: path)).readData(ofLength: 20)
        #expect(Array(header[18...19]) == [2, 2], "the cache runs in WAL mode")
    }

    /// A script starting several batches at once on a new cache: every one of them opens it
    /// and writes to it. Connections from threads lock the file as processes do (SQLite's
    /// POSIX locks and WAL index), and a barrier starts them together, so the rounds meet the
    /// race every time rather than when process start-up happens to line them up.
    @Test func manyOpeningABrandNewCacheAtOnceAllUseIt() throws {
        let openers = 8
        for _ in 0..<20 {
            let scratch = try Scratch()
            let path = scratch.path + "/cache/results.sqlite"
            let audio = try scratch.file("a.mp3")
            let file = try #require(FileFingerprint(of: audio))
            let failures = Warnings()
            together(openers) { opener in
                do {
                    let cache = try ResultCache(path: path)
                    try cache.store(AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 3)),
                                    for: file, model: "m\(opener)")
                } catch {
                    failures.add("\(error)")
                }
            }
            #expect(failures.all.isEmpty, "\(failures.all)")
            let cache = try ResultCache(path: path)
            for opener in 0..<openers {
                #expect(try cache.result(for: file, model: "m\(opener)", displayPath: audio) != nil)
            }
        }
    }

    /// keyscan 2.1.0 and this version share caches both ways, though 2.1.0 made its schema
    /// with GRDB's migrator: each finds the other's schema complete and creates nothing.
    @Test func cachesOfKeyscan210AreSharedBothWays() throws {
        let scratch = try Scratch()
        let audio = try scratch.file("a.mp3")
        let file = try #require(FileFingerprint(of: audio))
        let result = AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 3))

        let old = scratch.path + "/made-by-2.1.0.sqlite"
        try Self.keyscan210Migrator.migrate(DatabasePool(path: old))
        let opened = try ResultCache(path: old)
        try opened.store(result, for: file, model: "m")
        #expect(try opened.result(for: file, model: "m", displayPath: audio) != nil)

        let new = scratch.path + "/made-now.sqlite"
        try ResultCache(path: new).store(result, for: file, model: "m")
        let pool = try DatabasePool(path: new)
        try Self.keyscan210Migrator.migrate(pool)  // threw "table results already exists" without the record
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM results") } == 1)
        #expect(try pool.read(ResultCache.schemaVersion) == ResultCache.schemaSteps.count)
    }

    /// What keyscan 2.1.0 ran on opening a cache.
    static var keyscan210Migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE results (
                    path TEXT NOT NULL, model TEXT NOT NULL, size INTEGER NOT NULL, modified INTEGER NOT NULL,
                    outcome TEXT NOT NULL, analyzed_at REAL NOT NULL, PRIMARY KEY (path, model)
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }

    @Test func defaultLocationFollowsXDG() {
        #expect(ResultCache.defaultPath(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]) == "/x/cache/keyscan/results.sqlite")
        #expect(ResultCache.defaultPath(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/keyscan/results.sqlite")
        #expect(ResultCache.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.cache/keyscan/results.sqlite")
    }
}

final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var all: [String] { lock.withLock { list } }
    func add(_ warning: String) { lock.withLock { list.append(warning) } }
}

@Suite struct StoredTimelineTests {
    /// The timeline and tuning come back from the cache exactly as analyzed.
    @Test func segmentsAndTuningSurviveTheCache() throws {
        let scratch = try Scratch()
        let cache = try ResultCache(path: scratch.path + "/results.sqlite")
        let audio = try scratch.file("mix.mp3")
        let file = try #require(FileFingerprint(of: audio))
        let segments = [KeySegment(start: 0, end: 96.0, key: MusicalKey(index: 7)!, confidence: 0.612345678),
                        KeySegment(start: 96.0, end: 200.25, key: MusicalKey(index: 23)!, confidence: 0.4)]
        let result = AnalysisResult(path: audio, outcome: .success(key8A, durationSeconds: 200.25), tonality: 0.2,
                                    segments: segments, tuning: Tuning(cents: 12.345))
        try cache.store(result, for: file, model: "m1")
        let back = try #require(try cache.result(for: file, model: "m1", displayPath: audio))
        #expect(back.segments == segments)
        #expect(back.tuning == result.tuning)
        #expect(back.json.serialized == result.json.serialized.dropLast() + ", \"cached\": true}")
        #expect(back.csvRow.hasSuffix(",12.3,443.15,1,0:00-1:36 8A; 1:36-3:20 12B"))
    }
}
