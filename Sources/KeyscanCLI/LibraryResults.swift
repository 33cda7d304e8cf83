import ArgumentParser
import Foundation
import Glibc
import KeyscanCache
import KeyscanResults

/// The results `report` and `mix` work from: read from results files, or from the cache.
/// A file named in several results files counts once, as the last of them says.
enum LibraryResults {
    /// Results from `analyze --format json` or `jsonl` files; an unreadable or malformed
    /// file is a set-up error (exit status 2).
    static func read(files: [String]) throws -> [AnalysisResult] {
        var results: [AnalysisResult] = []
        for file in files {
            do { results += try ResultReader.read(URL(fileURLWithPath: file)) }
            catch { throw ValidationError("\(error)") }
        }
        return unique(results)
    }

    /// What the cache at `cachePath` (default: where `analyze` keeps it) holds for files
    /// under `folders` (all of it for none), the newest entry of each unchanged file.
    static func fromCache(_ cachePath: String?, folders: [String]) throws -> [AnalysisResult] {
        let path = cachePath ?? ResultCache.defaultPath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no result cache at \(path): analyze the library first, or give results files")
        }
        do {
            let cache = try ResultCache(path: path)
            var results: [AnalysisResult] = []
            for folder in folders.isEmpty ? ["/"] : folders {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                    throw ValidationError("\(folder) is not a folder")
                }
                results += try cache.latestResults(under: realPath(folder))
            }
            return unique(results)
        } catch let error as CacheError {
            throw ValidationError("\(error)")
        }
    }

    /// `path` resolved (relative to the current folder, symlinks followed), so that every
    /// name of a file matches; as written, made absolute, if it does not exist.
    static func realPath(_ path: String, relativeTo folder: String? = nil) -> String {
        let absolute = path.hasPrefix("/") ? path : (folder ?? FileManager.default.currentDirectoryPath) + "/" + path
        guard let resolved = Glibc.realpath(absolute, nil) else { return (absolute as NSString).standardizingPath }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// One result per real path, the last given winning, in the order first seen.
    static func unique(_ results: [AnalysisResult]) -> [AnalysisResult] {
        var position: [String: Int] = [:]
        var kept: [AnalysisResult] = []
        for result in results {
            let key = realPath(result.path)
            if let i = position[key] { kept[i] = result } else { position[key] = kept.count; kept.append(result) }
        }
        return kept
    }
}
