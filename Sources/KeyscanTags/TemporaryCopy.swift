import Glibc

/// A hidden copy of a file beside it, which either replaces the original (`replace`) or is
/// removed when this owner goes away. Owns the copy's file descriptor and the lock on it.
///
/// The name is fixed per original (`.song.keyscan-tmp.mp3` for `song.mp3`; the extension
/// is kept so TagLib picks the same type), so a copy left by a killed process is found and
/// reused by the next write instead of piling up. The exclusive flock(2) held for the copy's
/// whole life tells a stale copy (no lock) from one another process is writing (locked).
final class TemporaryCopy {
    let path: String
    private var descriptor: Int32
    private let reportedAs: String
    private var replaced = false

    /// Copies the regular file `original` (already resolved, no symlink) to its temporary
    /// name. `reportedAs` is the path error messages name.
    init(of original: String, reportedAs: String) throws(TagError) {
        self.reportedAs = reportedAs
        path = Self.temporaryPath(for: original)
        descriptor = try Self.openLocked(path, reportedAs: reportedAs)
        // Fully initialised from here: a throw below still runs deinit, which removes the copy.
        guard ftruncate(descriptor, 0) == 0 else { throw Self.failure("ftruncate", path, reportedAs) }
        try copyContents(of: original)
    }

    deinit { discard() }

    /// Gives the copy the original's owner (when allowed) and mode, and flushes it to disk.
    func finish(mode: mode_t, owner: uid_t, group: gid_t) throws(TagError) {
        // chown first: it clears set-user-ID bits that chmod then restores. Only root may
        // give a file away; anyone else's copy keeps their own user (docs/tags.md, "Safety").
        if fchown(descriptor, owner, group) != 0 && errno != EPERM {
            throw Self.failure("fchown", path, reportedAs)
        }
        guard fchmod(descriptor, mode & 0o7777) == 0 else { throw Self.failure("fchmod", path, reportedAs) }
        // TagLib wrote through its own descriptor to the same inode; fsync flushes the inode.
        guard fsync(descriptor) == 0 else { throw Self.failure("fsync", path, reportedAs) }
    }

    /// Atomically puts the copy in `original`'s place (rename(2) in the same folder).
    func replace(_ original: String) throws(TagError) {
        guard rename(path, original) == 0 else { throw Self.failure("rename", "\(path), \(original)", reportedAs) }
        replaced = true
        // Make the rename itself durable. If this fails the rename has still happened, and
        // after a crash the folder holds either the old file or the new one, both whole.
        let folder = open(Self.folder(of: original), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Removes the copy unless it replaced the original (while still holding the lock, so
    /// no other process reuses it half-removed), then closes it.
    private func discard() {
        guard descriptor >= 0 else { return }
        if !replaced { unlink(path) }
        close(descriptor)
        descriptor = -1
    }

    /// Opens (creating if needed) and locks the copy's file. A file already there is a
    /// copy some earlier write left behind; if its writer still runs, it holds the lock.
    private static func openLocked(_ path: String, reportedAs: String) throws(TagError) -> Int32 {
        // A writer that held the lock may have renamed or removed the name since we opened
        // it; then our descriptor is not the file at `path` and we open again.
        for _ in 0..<8 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw failure("open", path, reportedAs) }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                let error = errno
                // Some network file systems have no locks; the lock only keeps two keyscans
                // off one file, so there the write goes on without it.
                if error != ENOLCK && error != EOPNOTSUPP {
                    close(descriptor)
                    if error == EWOULDBLOCK { throw .busy(path: reportedAs, temporary: path) }
                    throw .system(path: reportedAs, call: "flock", detail: path, errno: error)
                }
            }
            var opened = stat(), named = stat()
            guard fstat(descriptor, &opened) == 0 else {
                let error = failure("fstat", path, reportedAs)
                close(descriptor)
                throw error
            }
            if lstat(path, &named) == 0 && named.st_ino == opened.st_ino && named.st_dev == opened.st_dev
                && (opened.st_mode & S_IFMT) == S_IFREG {
                return descriptor
            }
            close(descriptor)
        }
        throw .busy(path: reportedAs, temporary: path)
    }

    private func copyContents(of original: String) throws(TagError) {
        let source = open(original, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw Self.failure("open", original, reportedAs) }
        defer { close(source) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer, size)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("read", original, reportedAs)
            }
            var written = 0
            while written < count {
                let step = write(descriptor, buffer + written, count - written)
                if step < 0 {
                    if errno == EINTR { continue }
                    throw Self.failure("write", path, reportedAs)
                }
                written += step
            }
        }
    }

    /// `.stem.keyscan-tmp.ext` beside `original`; for names too long to take the suffix,
    /// `.keyscan-tmp-<hash>.ext`.
    static func temporaryPath(for original: String) -> String {
        let folder = folder(of: original)
        let name = original.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? original
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        var temporary = "." + stem + ".keyscan-tmp" + ext
        if temporary.utf8.count > Int(NAME_MAX) {
            // FNV-1a of the name: stable across runs, so a stale copy is still found.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            temporary = ".keyscan-tmp-" + String(hash, radix: 16) + (ext.utf8.count <= 32 ? ext : "")
        }
        return folder == "/" ? "/" + temporary : folder + "/" + temporary
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func failure(_ call: String, _ detail: String, _ reportedAs: String) -> TagError {
        .system(path: reportedAs, call: call, detail: detail, errno: errno)
    }
}
