import Foundation
import Glibc

/// Which file a path names, to analyze each file once however it is named.
///
/// Two paths are the same file when their real paths (symlinks, `.` and `..` resolved, as
/// the cache keys results) are equal; a path that does not resolve (missing, a broken
/// link) is compared as an absolute path. Hard links are different files, as they are to
/// the cache. Only a 128-bit hash of the path is kept, 16 bytes per file, so a manifest of
/// millions of paths can be checked for duplicates without holding them; two SipHash
/// values with this process's random seed make a collision (which would skip a file)
/// about as likely as 2⁻¹²⁸ per pair, far below any disk error rate.
struct FileIdentity: Hashable {
    private let low: UInt64
    private let high: UInt64

    init(path: String) {
        var key = Self.canonical(path)
        var a = Hasher(), b = Hasher()
        // Different first words make the two hashes independent.
        a.combine(0x6b65_7973 as UInt32)
        b.combine(0x7363_616e as UInt32)
        key.withUTF8 { bytes in
            a.combine(bytes: UnsafeRawBufferPointer(bytes))
            b.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        low = UInt64(UInt(bitPattern: a.finalize()))
        high = UInt64(UInt(bitPattern: b.finalize()))
    }

    /// The real path, or for a path that does not resolve, the absolute path with `.` and
    /// `..` removed.
    static func canonical(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return URL(fileURLWithPath: path).standardized.path
    }
}

/// The files a batch works through, one at a time: the files the command line names (its
/// folders searched, sorted), then each entry of `--files-from` as it is read (a folder in
/// the list is searched too). Each file comes once, under the first path that named it;
/// files in `skipping` (an earlier run's results) do not come at all.
///
/// Not thread-safe: the batch calls `next()` under its lock.
final class PathSource {
    private var queued: [String]
    private var position = 0
    private let list: FileListReader?
    private var seen = Set<FileIdentity>()
    private let skipping: Set<FileIdentity>
    private var finder = AudioFileFinder()
    /// Paths not given out because an earlier path named the same file.
    private(set) var duplicates = 0
    /// Paths not given out because `skipping` holds them.
    private(set) var skipped = 0
    /// Whether the number of files is known before they are all read (no `--files-from`).
    var count: Int? { list == nil ? queued.count : nil }

    init(commandLine: [String], list: FileListReader?, skipping: Set<FileIdentity>) {
        self.list = list
        self.skipping = skipping
        queued = finder.files(in: commandLine)
        for warning in finder.warnings { Stderr.write("keyscan: \(warning)") }
        if list == nil {
            // Known up front: filter now, so `count` is exact for the progress line.
            queued = queued.filter(admit)
            position = 0
        }
    }

    /// A source of `files` as they are, already searched and free of duplicates.
    init(files: [String]) {
        queued = files
        list = nil
        skipping = []
    }

    /// Why `--files-from` ended before its end, if a read failed.
    var listError: String? { list?.readError.map { "\(list!.name): \($0)" } }

    /// The next file, or nil when every source is exhausted.
    func next() -> String? {
        while true {
            if position < queued.count {
                defer { position += 1 }
                let path = queued[position]
                if list == nil || admit(path) { return path }
                continue
            }
            guard let list, let entry = list.next() else { return nil }
            if !entry.valid {
                Stderr.write("keyscan: \(list.name) entry \(list.entryNumber) is not UTF-8; it will not be found as written")
            }
            // A folder in the list is searched as on the command line; anything else is a
            // file (a missing one gets its error result).
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: entry.text, isDirectory: &isDirectory), isDirectory.boolValue {
                var folderFinder = AudioFileFinder()
                queued = folderFinder.files(in: [entry.text])
                for warning in folderFinder.warnings { Stderr.write("keyscan: \(warning)") }
            } else {
                queued = [entry.text]
            }
            position = 0
        }
    }

    /// Every file, read to the end.
    func all() -> [String] {
        var files: [String] = []
        while let path = next() { files.append(path) }
        return files
    }

    private func admit(_ path: String) -> Bool {
        let identity = FileIdentity(path: path)
        if skipping.contains(identity) {
            skipped += 1
            return false
        }
        guard seen.insert(identity).inserted else {
            duplicates += 1
            return false
        }
        return true
    }
}
