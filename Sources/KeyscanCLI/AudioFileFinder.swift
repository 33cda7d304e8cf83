import Foundation

/// Expands command-line paths into the audio files to analyze.
///
/// Files named on the command line are analyzed whatever their extension (a missing one
/// gets its own error result). Folders are searched recursively for audio extensions,
/// skipping hidden entries and any folder already visited (symlink loops); a broken or
/// looping link with an audio extension is kept, so it gets an error result.
struct AudioFileFinder {
    static let audioExtensions: Set<String> = [
        "mp3", "mp2", "m4a", "m4b", "aac", "mp4", "m4v", "mov", "3gp", "alac", "flac", "wav", "wave",
        "aif", "aiff", "aifc", "ogg", "oga", "opus", "spx", "wma", "asf", "wmv", "wv", "ape", "mpc",
        "mka", "mkv", "webm", "ac3", "eac3", "dts", "caf", "au", "snd", "tta", "amr", "avi", "flv", "ts",
    ]

    /// Warnings about paths that were skipped (unreadable folders), for stderr.
    private(set) var warnings: [String] = []

    /// Every file to analyze, sorted by path, without duplicates.
    mutating func files(in paths: [String]) -> [String] {
        var found = Set<String>()
        var visited = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                walk(path, into: &found, visited: &visited)
            } else {
                found.insert(path)  // a file, or a missing path that will get an error result
            }
        }
        return found.sorted()
    }

    private mutating func walk(_ folder: String, into found: inout Set<String>, visited: inout Set<String>) {
        let real = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else { return }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            warnings.append("skipped folder \(folder): \(error.localizedDescription)")
            return
        }
        for name in entries.sorted() where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var isDirectory: ObjCBool = false
            let isAudio = Self.audioExtensions.contains((name as NSString).pathExtension.lowercased())
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                walk(path, into: &found, visited: &visited)
            } else if isAudio {
                // Includes links that lead nowhere or loop: they get their own error result
                // (file_not_found, symlink_loop) rather than vanishing from the library.
                found.insert(path)
            }
        }
    }
}
