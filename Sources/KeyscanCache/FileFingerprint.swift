import Glibc

/// What a cached result is valid for: one file, as it is on disk now.
///
/// A file that is rewritten, replaced or touched gets a new size or modification time, and
/// so a fresh analysis. The path is the file's real path, so `./a.mp3`, `/music/a.mp3` and
/// a symlink to it share one entry.
public struct FileFingerprint: Sendable, Equatable {
    public let path: String
    /// Bytes.
    public let size: Int64
    /// Modification time in nanoseconds since 1970.
    public let modified: Int64

    public init(path: String, size: Int64, modified: Int64) {
        self.path = path
        self.size = size
        self.modified = modified
    }

    /// The fingerprint of the regular file at `path` now, or nil if there is none
    /// (missing, unreadable, a directory, a FIFO: nothing worth caching).
    public init?(of path: String) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        self.init(path: Self.absolute(path), size: Int64(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// `path` with symlinks, `.` and `..` resolved, so every name of one file shares an entry.
    static func absolute(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
