import Foundation
import GRDB
import KeyscanResults

/// Results already computed, in an SQLite file several keyscan processes can share.
///
/// An entry is keyed by the file's real path and the model's identity, and is valid only
/// while the file keeps the size and modification time it had when it was analyzed.
/// The database runs in WAL mode: readers never wait, one writer at a time, and a
/// concurrent writer from another process is waited for (up to `busyTimeout`).
public final class ResultCache: Sendable {
    /// Where `analyze` and `serve` keep results unless told otherwise:
    /// `$XDG_CACHE_HOME/keyscan/results.sqlite`, else `~/.cache/keyscan/results.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = xdg  // the XDG spec says a relative value is to be ignored
        } else {
            base = (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        }
        return base + "/keyscan/results.sqlite"
    }

    /// SQLite as loaded at run time, e.g. "3.40.1".
    public static var sqliteVersion: String {
        let number = Int(Database.sqliteLibVersionNumber)  // major·1000000 + minor·1000 + patch
        return "\(number / 1_000_000).\(number / 1000 % 1000).\(number % 1000)"
    }

    /// How long a write waits for another process's write to finish.
    static let busyTimeout: TimeInterval = 10

    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed) the cache at `path`, with its folder.
    public init(path: String) throws(CacheError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw .unusable(path: path, reason: "cannot create its folder: \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            // WAL survives a crash at any point; NORMAL only risks the last commits on power loss.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw .unusable(path: path, reason: Self.describe(error))
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE results (
                    path TEXT NOT NULL,         -- the file's real path
                    model TEXT NOT NULL,        -- Analyzer.identity of the model and pipeline
                    size INTEGER NOT NULL,      -- bytes, when analyzed
                    modified INTEGER NOT NULL,  -- mtime in ns since 1970, when analyzed
                    outcome TEXT NOT NULL,      -- StoredOutcome as JSON
                    analyzed_at REAL NOT NULL,  -- seconds since 1970
                    PRIMARY KEY (path, model)
                ) WITHOUT ROWID
                """)
        }
        return migrator
    }

    /// The stored result for this file and model, if the file has not changed since;
    /// `displayPath` is the name to report it under.
    public func result(for file: FileFingerprint, model: String, displayPath: String) throws(CacheError) -> AnalysisResult? {
        let row: Row?
        do {
            row = try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT size, modified, outcome FROM results WHERE path = ? AND model = ?",
                                 arguments: [file.path, model])
            }
        } catch {
            throw .failed(path: path, reason: Self.describe(error))
        }
        guard let row, row["size"] as Int64 == file.size, row["modified"] as Int64 == file.modified,
              let stored = StoredOutcome(json: row["outcome"]) else { return nil }
        return stored.result(path: displayPath)
    }

    /// Stores `result` for this file and model, replacing what was there.
    public func store(_ result: AnalysisResult, for file: FileFingerprint, model: String) throws(CacheError) {
        let outcome = StoredOutcome(result).json
        do {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT OR REPLACE INTO results (path, model, size, modified, outcome, analyzed_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [file.path, model, file.size, file.modified, outcome, Date().timeIntervalSince1970])
            }
        } catch {
            throw .failed(path: path, reason: Self.describe(error))
        }
    }

    /// The newest stored result of every file under `folder` (a real path; "/" for all)
    /// that is still as it was when analyzed, whatever model analyzed it, in path order:
    /// what `report --cache` and `mix` read. Files changed or gone since are left out.
    public func latestResults(under folder: String) throws(CacheError) -> [AnalysisResult] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        let rows: [Row]
        do {
            rows = try pool.read { db in
                // Paths under the folder sort between "folder/" and "folder0" ('0' follows '/').
                try Row.fetchAll(db, sql: """
                    SELECT path, size, modified, outcome FROM results WHERE path >= ? AND path < ?
                    ORDER BY path, analyzed_at DESC
                    """, arguments: [prefix, String(prefix.dropLast()) + "0"])
            }
        } catch {
            throw .failed(path: path, reason: Self.describe(error))
        }
        var results: [AnalysisResult] = []
        var previous: String?
        for row in rows {
            let filePath: String = row["path"]
            guard filePath != previous else { continue }
            previous = filePath
            guard let now = FileFingerprint(of: filePath), now.size == row["size"] as Int64, now.modified == row["modified"] as Int64,
                  let stored = StoredOutcome(json: row["outcome"]), let result = stored.result(path: filePath) else { continue }
            results.append(result)
        }
        return results
    }

    /// Whether analyzing the same bytes again would give the same result. Missing files,
    /// permissions, timeouts and cancellations depend on the moment, not on the file.
    public static func isWorthKeeping(_ result: AnalysisResult) -> Bool {
        switch result.outcome {
        case .success, .noKey: true
        case .failure(let code, _): deterministicFailures.contains(code)
        }
    }

    static let deterministicFailures: Set<String> = [
        "not_audio", "no_audio_stream", "unsupported_codec", "decode_failed", "too_short",
    ]

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}

/// Why the cache could not be used.
public enum CacheError: Error, CustomStringConvertible {
    /// The cache could not be opened or created.
    case unusable(path: String, reason: String)
    /// A read or write failed (disk full, corrupted pages, removed under us).
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unusable(let path, let reason): "cannot open the cache \(path): \(reason)"
        case .failed(let path, let reason): "the cache \(path) failed: \(reason)"
        }
    }
}
