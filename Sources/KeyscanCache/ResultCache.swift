import Foundation
import GRDB
import KeyscanResults

/// Results already computed, in an SQLite file several keyscan processes can share.
///
/// An entry is keyed by the file's real path and the model's identity, and is valid only
/// while the file keeps the size and modification time it had when it was analyzed.
/// The database runs in WAL mode: readers never wait, one writer at a time, and a
/// concurrent writer from another process is waited for (up to `busyTimeout`). Processes
/// opening a new cache at the same moment create its schema once (`updateSchema`).
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
            pool = try Self.openPool(path: path, configuration: configuration)
            try Self.updateSchema(pool)
        } catch {
            throw .unusable(path: path, reason: Self.describe(error))
        }
    }

    /// Opens the pool, which puts a new file in WAL mode. That is the one step where SQLite
    /// does not wait out `busyTimeout`: of two connections turning the same new file to WAL at
    /// once, one gets SQLITE_BUSY straight away (waiting could deadlock, as each already holds
    /// a read lock). Trying again finds the file in WAL mode, which then needs no write.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = Date(timeIntervalSinceNow: busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
    }

    /// The schema, one step per version: `schemaSteps[v]` takes a cache at version `v`
    /// (SQLite's `user_version`; 0 in a new file) to `v + 1`. Append steps, never edit one.
    static let schemaSteps: [String] = [
        // 1. keyscan 2.1.0 created this table through GRDB's migrator, which records "v1" in
        // grdb_migrations and leaves user_version at 0: IF NOT EXISTS takes its caches as they
        // are, and the record lets 2.1.0 use a cache made here instead of creating the table again.
        """
        CREATE TABLE IF NOT EXISTS results (
            path TEXT NOT NULL,         -- the file's real path
            model TEXT NOT NULL,        -- Analyzer.identity of the model and pipeline
            size INTEGER NOT NULL,      -- bytes, when analyzed
            modified INTEGER NOT NULL,  -- mtime in ns since 1970, when analyzed
            outcome TEXT NOT NULL,      -- StoredOutcome as JSON
            analyzed_at REAL NOT NULL,  -- seconds since 1970
            PRIMARY KEY (path, model)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT OR IGNORE INTO grdb_migrations (identifier) VALUES ('v1');
        """,
    ]

    /// Brings the schema up to date, when other processes may be opening the same new cache
    /// at the same moment (a script running batches in parallel). Whether a step is needed is
    /// decided again once this connection holds the write lock, which BEGIN IMMEDIATE waits
    /// for (up to `busyTimeout`) while another process creates the schema: so exactly one
    /// process runs each step, and the others find it done. (GRDB's DatabaseMigrator reads
    /// what is applied before taking the lock, and the second process failed with "table
    /// results already exists".)
    private static func updateSchema(_ pool: DatabasePool) throws {
        // Nearly every open finds the schema current: a read, which never waits for a writer.
        if try pool.read(schemaVersion) >= schemaSteps.count { return }
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let version = try schemaVersion(db)
                guard version < schemaSteps.count else { return .commit }  // done by another process meanwhile
                for step in schemaSteps[version...] { try db.execute(sql: step) }
                try db.execute(sql: "PRAGMA user_version = \(schemaSteps.count)")
                return .commit
            }
        }
    }

    /// The number of `schemaSteps` the open file has been through.
    static func schemaVersion(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
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
