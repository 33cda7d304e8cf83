import CTagLib
import Glibc
import KeyscanDecode

/// Why a key tag was not written. Whatever the case, the file is as it was: every write
/// goes to a copy that replaces the original only once it is verified.
///
/// `message` names the file and, for a failed call, the call (TagLib's through CTagLib,
/// or the system's) and the system's text.
public enum TagError: Error, Equatable, CustomStringConvertible {
    /// Not a regular file (a folder, a device), or the path does not resolve.
    case notRegularFile(path: String)
    /// The file has no write permission: keyscan does not replace files the user protected.
    case readOnly(path: String)
    /// TagLib could not open the file.
    case cannotOpen(path: String, call: String)
    /// TagLib does not recognise the file, or cannot parse it as the type it recognised.
    case unknownType(path: String, call: String)
    /// A type TagLib reads but keyscan does not write keys to.
    case unsupportedType(path: String, type: String)
    /// TagLib and FFmpeg disagree about what the file is (e.g. TagLib takes a Matroska file
    /// holding FLAC for a FLAC file): writing would damage it.
    case typeMismatch(path: String, tagLibType: String, ffmpegContainer: String)
    /// TagLib failed to set or save the tag (`call` says which).
    case tagLibFailed(path: String, call: String, type: String)
    /// The copy did not read back with the key just written.
    case readBack(path: String, expected: String, found: String?)
    /// The copy's audio packets differ from the original's.
    case audioChanged(path: String, before: AudioStreamDigest, after: AudioStreamDigest)
    /// FFmpeg could not read the audio packets to compare them.
    case audioUnreadable(path: String, DecodeError)
    /// The original changed (size, time or inode) while its copy was being tagged.
    case changedMeanwhile(path: String)
    /// Another process is writing this file's tag (it holds the lock on the temporary file).
    case busy(path: String, temporary: String)
    /// A system call failed: `call` names it and `detail` what it was called on.
    case system(path: String, call: String, detail: String, errno: Int32)

    /// The file, as the caller named it.
    public var path: String {
        switch self {
        case .notRegularFile(let path), .readOnly(let path), .cannotOpen(let path, _),
             .unknownType(let path, _), .unsupportedType(let path, _), .typeMismatch(let path, _, _), .tagLibFailed(let path, _, _),
             .readBack(let path, _, _), .audioChanged(let path, _, _), .audioUnreadable(let path, _),
             .changedMeanwhile(let path), .busy(let path, _), .system(let path, _, _, _):
            path
        }
    }

    /// What went wrong, for a person; says that the file was left as it was.
    public var message: String {
        let reason: String
        switch self {
        case .notRegularFile:
            reason = "not a regular file"
        case .readOnly:
            reason = "the file is read-only"
        case .cannotOpen(_, let call):
            reason = "TagLib cannot open it (\(call))"
        case .unknownType(_, let call):
            reason = "TagLib does not recognise it as a file type it can tag (\(call))"
        case .unsupportedType(_, let type):
            reason = "keyscan writes keys to MP3, WAV, AIFF, FLAC, Ogg, Opus, MP4/M4A and WMA files, "
                + "and TagLib reads this one as \(type)"
        case .typeMismatch(_, let type, let container):
            reason = "TagLib reads it as \(type) but FFmpeg as \(container), and keyscan writes only when they agree"
        case .tagLibFailed(_, let call, let type):
            reason = "TagLib failed to write the \(type) tag (\(call))"
        case .readBack(_, let expected, let found):
            reason = "the tag read back as \(found.map { "\"\($0)\"" } ?? "nothing") instead of \"\(expected)\""
        case .audioChanged(_, let before, let after):
            reason = "writing the tag would have changed the audio packets (before: \(before); after: \(after))"
        case .audioUnreadable(_, let error):
            reason = "cannot read its audio packets to check them (\(error.message))"
        case .changedMeanwhile:
            reason = "the file changed while keyscan was tagging a copy"
        case .busy(_, let temporary):
            reason = "another process is writing its tag (\(temporary) is locked)"
        case .system(_, let call, let detail, let code):
            reason = "\(call)(\(detail)): \(String(cString: strerror(code)))"
        }
        return "cannot write the key tag to \(path): \(reason); the file is unchanged"
    }

    public var description: String { message }
}

extension TagError {
    /// A failed CTagLib call.
    init(status: keyscan_tag_status, call: String, path: String, type: String?) {
        switch status {
        case KEYSCAN_TAG_CANNOT_OPEN: self = .cannotOpen(path: path, call: call)
        case KEYSCAN_TAG_UNKNOWN_TYPE: self = .unknownType(path: path, call: call)
        case KEYSCAN_TAG_UNSUPPORTED_TYPE: self = .unsupportedType(path: path, type: type ?? "a type keyscan does not tag")
        default: self = .tagLibFailed(path: path, call: call, type: type ?? "file's")
        }
    }
}
