import Glibc
import KeyscanDecode

/// What a file's key tag holds, as TagLib reads it.
public struct KeyTag: Sendable, Equatable {
    /// TagLib's file type: "MPEG", "WAV", "AIFF", "FLAC", "Ogg Vorbis", "Ogg Opus", "MP4", "ASF"…
    public let type: String
    /// Where keyscan reads and writes the key in this type: "ID3v2 TKEY", "Xiph comment
    /// INITIALKEY", "MP4 ----:com.apple.iTunes:initialkey", "ASF WM/InitialKey".
    public let field: String
    /// The key the tag holds (for Xiph comments INITIALKEY, else KEY), trimmed; nil if none.
    public let key: String?

    /// Reads `path`'s key tag, opening the file read-only.
    public init(path: String) throws(TagError) {
        let file = try TagFile(path: path, writable: false, reportedAs: path)
        guard file.isSupported else { throw .unsupportedType(path: path, type: file.type) }
        type = file.type
        field = file.keyField
        key = file.key
    }
}

/// What `KeyTagWriter.write` did.
public enum KeyTagOutcome: Sendable, Equatable {
    /// The key was written; the value now in the file.
    case written(String)
    /// The file already had a key and was left alone; the value it holds. Also when it
    /// already held exactly the value to write.
    case kept(String)
}

/// Writes a musical key into an audio file's own tag, where DJ software reads it, without
/// ever putting the audio or the original file at risk.
///
/// Per type (TagLib's, chosen as its FileRef does): ID3v2 `TKEY` for MP3, WAV and AIFF;
/// the Xiph comment `INITIALKEY` for FLAC, Ogg Vorbis, Opus, Speex and Ogg FLAC (and `KEY`
/// too when the file already has one); `----:com.apple.iTunes:initialkey` for MP4/M4A;
/// `WM/InitialKey` for ASF/WMA. Nothing else in the file changes.
///
/// The original is never written to. TagLib tags a hidden copy in the same folder; the
/// copy must read back with the key and have the same audio packets as the original
/// (`AudioStreamDigest`); it is flushed to disk, given the original's mode (and owner, when
/// the process may), and rename(2)d over the original. Any failure removes the copy and
/// leaves the original byte for byte as it was. A symlink's target is replaced, the link
/// kept; a file with several hard links gets a new inode, so the other names keep the old
/// contents.
public struct KeyTagWriter: Sendable {
    /// Replace a key the file already has.
    public let overwrite: Bool
    /// Called with the copy's path when it is verified and synced, right before it
    /// replaces the original. For tests that interrupt a write at its last step.
    public let beforeReplacing: (@Sendable (_ temporary: String) -> Void)?

    public init(overwrite: Bool = false, beforeReplacing: (@Sendable (_ temporary: String) -> Void)? = nil) {
        self.overwrite = overwrite
        self.beforeReplacing = beforeReplacing
    }

    /// Writes `value` as `path`'s key, unless the file has a key already and `overwrite`
    /// is false (then it is kept, and so is a key already equal to `value`).
    public func write(_ value: String, to path: String) throws(TagError) -> KeyTagOutcome {
        let target = try Self.resolved(path)
        let before = try Self.writableStatus(target, reportedAs: path)

        let type: String
        do {
            let original = try TagFile(path: target, writable: false, reportedAs: path)
            guard original.isSupported else { throw .unsupportedType(path: path, type: original.type) }
            if original.keyIs(value) { return .kept(value) }
            if let existing = original.key, !overwrite { return .kept(existing) }
            type = original.type
        }
        let audio = try Self.digest(target, reportedAs: path)
        // TagLib guesses a type from the extension, else from bytes it finds near the start,
        // and can be wrong: a Matroska file holding FLAC passes for FLAC, and TagLib would
        // write FLAC metadata blocks into the middle of it. FFmpeg identifies containers by
        // their structure; keyscan writes only when the two agree.
        guard Self.ffmpegContainers[type]?.contains(audio.container) == true else {
            throw .typeMismatch(path: path, tagLibType: type, ffmpegContainer: audio.container)
        }

        let copy = try TemporaryCopy(of: target, reportedAs: path)
        do {
            let file = try TagFile(path: copy.path, writable: true, reportedAs: path)
            // Same name but for the hidden prefix and infix, so the same type; checked anyway.
            guard file.type == type else { throw .unknownType(path: path, call: "keyscan_tag_open") }
            try file.setKey(value, reportedAs: path)
            try file.save(reportedAs: path)
        }
        do {
            let written = try TagFile(path: copy.path, writable: false, reportedAs: path)
            guard written.keyIs(value) else { throw .readBack(path: path, expected: value, found: written.key) }
        }
        let audioAfter = try Self.digest(copy.path, reportedAs: path)
        guard audioAfter == audio else { throw .audioChanged(path: path, before: audio, after: audioAfter) }
        try copy.finish(mode: before.st_mode, owner: before.st_uid, group: before.st_gid)

        let now = try Self.status(target, reportedAs: path)
        guard now.st_ino == before.st_ino, now.st_dev == before.st_dev, now.st_size == before.st_size,
              now.st_mtim.tv_sec == before.st_mtim.tv_sec, now.st_mtim.tv_nsec == before.st_mtim.tv_nsec
        else { throw .changedMeanwhile(path: path) }
        beforeReplacing?(copy.path)
        try copy.replace(target)
        return .written(value)
    }

    /// The FFmpeg demuxers that read each TagLib type keyscan writes.
    static let ffmpegContainers: [String: Set<String>] = [
        "MPEG": ["mp3"],
        "WAV": ["wav"],
        "AIFF": ["aiff"],
        "FLAC": ["flac"],
        "Ogg Vorbis": ["ogg"], "Ogg Opus": ["ogg"], "Ogg Speex": ["ogg"], "Ogg FLAC": ["ogg"],
        "MP4": ["mov,mp4,m4a,3gp,3g2,mj2"],
        "ASF": ["asf"],
    ]

    /// The file a path names, symlinks resolved, so a link's target is what gets replaced.
    static func resolved(_ path: String) throws(TagError) -> String {
        guard let real = realpath(path, nil) else {
            throw .system(path: path, call: "realpath", detail: path, errno: errno)
        }
        defer { free(real) }
        return String(cString: real)
    }

    static func status(_ path: String, reportedAs: String) throws(TagError) -> stat {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .system(path: reportedAs, call: "stat", detail: path, errno: errno) }
        return info
    }

    /// A regular file the user may write. Write permission is checked by its bits too, not
    /// only access(2): root may write anything, yet a read-only file is a user's "leave it".
    static func writableStatus(_ path: String, reportedAs: String) throws(TagError) -> stat {
        let info = try status(path, reportedAs: reportedAs)
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(path: reportedAs) }
        guard info.st_mode & 0o222 != 0, access(path, W_OK) == 0 else { throw .readOnly(path: reportedAs) }
        return info
    }

    static func digest(_ path: String, reportedAs: String) throws(TagError) -> AudioStreamDigest {
        do { return try AudioStreamDigest(path: path) }
        catch { throw .audioUnreadable(path: reportedAs, error) }
    }
}
