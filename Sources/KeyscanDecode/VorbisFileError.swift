import CVorbisFile
import Glibc

/// A failed libvorbisfile call: the function's name and its negative return code (OV_*).
///
/// Internal, like `FFmpegError`: `VorbisFileDecoder` turns it into a public `DecodeError`.
struct VorbisFileError: Error, Equatable, CustomStringConvertible {
    let call: String
    let code: Int32
    /// Why reading the file failed, when `code` is OV_EREAD: libvorbisfile only sees that
    /// the read callback returned nothing.
    let readFailure: ReadFailure?

    enum ReadFailure: Equatable {
        /// The caller's `shouldAbort` asked to stop.
        case interrupted
        /// read(2) failed with this errno.
        case system(Int32)
    }

    init(call: String, code: Int32, readFailure: ReadFailure? = nil) {
        self.call = call
        self.code = code
        self.readFailure = readFailure
    }

    /// "ov_open_callbacks: invalid Vorbis header (OV_EBADHEADER)"
    var description: String {
        if case .system(let error) = readFailure { return "\(call): \(text): \(String(cString: strerror(error)))" }
        return "\(call): \(text)"
    }

    /// What vorbisfile's documentation says each code means; the library has no strerror.
    var text: String {
        switch code {
        case OV_FALSE: "no data available (OV_FALSE)"
        case OV_EOF: "end of file (OV_EOF)"
        case OV_HOLE: "gap or corrupt page in the stream (OV_HOLE)"
        case OV_EREAD: "read from the file failed (OV_EREAD)"
        case OV_EFAULT: "internal logic fault (OV_EFAULT)"
        case OV_EIMPL: "feature not implemented (OV_EIMPL)"
        case OV_EINVAL: "headers unreadable or invalid argument (OV_EINVAL)"
        case OV_ENOTVORBIS: "not Vorbis data (OV_ENOTVORBIS)"
        case OV_EBADHEADER: "invalid Vorbis header (OV_EBADHEADER)"
        case OV_EVERSION: "unsupported Vorbis version (OV_EVERSION)"
        case OV_ENOTAUDIO: "not an audio packet (OV_ENOTAUDIO)"
        case OV_EBADPACKET: "invalid packet (OV_EBADPACKET)"
        case OV_EBADLINK: "corrupt or invalid stream section (OV_EBADLINK)"
        case OV_ENOSEEK: "stream not seekable (OV_ENOSEEK)"
        default: "unknown error \(code)"
        }
    }
}

extension DecodeError {
    /// A libvorbisfile failure: an interrupted read is a cancellation, a failed read(2) a
    /// read failure, anything else the decoder's.
    init(vorbisFile path: String, _ error: VorbisFileError) {
        switch error.readFailure {
        case .interrupted: self = .cancelled(path: path)
        case .system: self = .readFailed(path: path, reason: error.description)
        case nil: self = .decodeFailed(path: path, reason: error.description)
        }
    }
}
