/// Why a file could not be decoded. `code` is stable snake_case for the JSON report;
/// `message` says, for a person, which file and what failed.
public enum DecodeError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case permissionDenied(path: String)
    case isDirectory(path: String)
    /// A symbolic link that leads back to itself (stat's ELOOP).
    case symlinkLoop(path: String)
    /// A FIFO, socket or device: `kind` says which. Never opened, since open() on a FIFO
    /// would block for good.
    case notAFile(path: String, kind: String)
    /// Nothing FFmpeg reads as audio: probing failed, an empty file, a still image. Content
    /// that is audio but that no decoder reads (Ogg Vorbis both FFmpeg and libvorbisfile
    /// refuse) is `decodeFailed` instead.
    case notAudio(path: String, reason: String)
    /// A container FFmpeg reads, without an audio stream: a video without sound.
    case noAudioStream(path: String)
    /// An audio stream this FFmpeg has no decoder for.
    case unsupportedCodec(path: String, codec: String)
    /// Decoding failed; `reason` names the FFmpeg call and carries av_strerror's text, or,
    /// when libvorbisfile was tried too, gives both libraries' reasons.
    case decodeFailed(path: String, reason: String)
    /// Reading the file failed; `reason` names the call and carries the system's text.
    case readFailed(path: String, reason: String)
    /// The caller's `shouldAbort` asked to stop.
    case cancelled(path: String)

    /// Stable identifier for machine-readable output.
    public var code: String {
        switch self {
        case .fileNotFound: "file_not_found"
        case .permissionDenied: "permission_denied"
        case .isDirectory: "is_directory"
        case .symlinkLoop: "symlink_loop"
        case .notAFile: "not_a_file"
        case .notAudio: "not_audio"
        case .noAudioStream: "no_audio_stream"
        case .unsupportedCodec: "unsupported_codec"
        case .decodeFailed: "decode_failed"
        case .readFailed: "read_failed"
        case .cancelled: "cancelled"
        }
    }

    public var message: String {
        switch self {
        case .fileNotFound(let path): "no such file: \(path)"
        case .permissionDenied(let path): "permission denied: cannot read \(path)"
        case .isDirectory(let path): "\(path) is a directory, not an audio file"
        case .symlinkLoop(let path): "\(path) is a symbolic link that loops back on itself"
        case .notAFile(let path, let kind): "\(path) is \(kind), not a regular file; it was not opened"
        case .notAudio(let path, let reason): "\(path) is not audio that FFmpeg can read (\(reason))"
        case .noAudioStream(let path): "\(path) has no audio stream"
        case .unsupportedCodec(let path, let codec): "\(path): no decoder for codec \"\(codec)\""
        case .decodeFailed(let path, let reason): "decoding \(path) failed (\(reason))"
        case .readFailed(let path, let reason): "reading \(path) failed (\(reason))"
        case .cancelled(let path): "decoding \(path) was cancelled"
        }
    }

    public var description: String { message }
}

extension DecodeError {
    /// What failed, without the path: the reason of the cases that have one.
    var reason: String {
        switch self {
        case .notAudio(_, let reason), .decodeFailed(_, let reason), .readFailed(_, let reason): reason
        case .noAudioStream: "no audio stream"
        case .unsupportedCodec(_, let codec): "no decoder for codec \"\(codec)\""
        default: message
        }
    }

    /// Whether a decoder failed on the content, as opposed to the file being missing,
    /// unreadable or the work cancelled: only then may another decoder be tried.
    var isDecodingFailure: Bool {
        switch self {
        case .notAudio, .noAudioStream, .unsupportedCodec, .decodeFailed: true
        default: false
        }
    }

    /// Both decoders failed on an Ogg Vorbis file: a cancellation or read error of the
    /// second stays what it is; otherwise it is audio no decoder reads, with both reasons.
    init(path: String, ffmpeg: DecodeError, libvorbisfile: DecodeError) {
        guard libvorbisfile.isDecodingFailure else { self = libvorbisfile; return }
        self = .decodeFailed(path: path, reason: "FFmpeg: \(ffmpeg.reason); libvorbisfile: \(libvorbisfile.reason)")
    }

    /// A failure to open or probe `path`. Errno-like codes keep their own cases
    /// (avformat_open_input can still meet them if the file changes after the stat check);
    /// anything else means FFmpeg does not recognise the data.
    init(opening path: String, _ error: FFmpegError) {
        switch error.code {
        case AVCode.noSuchFile: self = .fileNotFound(path: path)
        case AVCode.accessDenied, AVCode.notPermitted: self = .permissionDenied(path: path)
        case AVCode.isDirectory: self = .isDirectory(path: path)
        case AVCode.inputOutput: self = .readFailed(path: path, reason: error.description)
        case AVCode.exit: self = .cancelled(path: path)
        default: self = .notAudio(path: path, reason: error.description)
        }
    }

    /// A failure once the file is recognised as audio.
    init(decoding path: String, _ error: FFmpegError) {
        switch error.code {
        case AVCode.exit: self = .cancelled(path: path)
        case AVCode.inputOutput: self = .readFailed(path: path, reason: error.description)
        default: self = .decodeFailed(path: path, reason: error.description)
        }
    }
}
