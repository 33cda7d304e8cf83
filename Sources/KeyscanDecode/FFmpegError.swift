import CFFmpeg

/// A failed FFmpeg call: the function's name and its negative return code.
///
/// Internal: the owner types throw it, and `AudioDecoder` turns it into a public
/// `DecodeError` that adds the path and av_strerror's text.
struct FFmpegError: Error, Equatable, CustomStringConvertible {
    let call: String
    let code: Int32

    /// "avcodec_open2: Invalid data found when processing input"
    var description: String { "\(call): \(text)" }

    /// av_strerror's text for `code`.
    var text: String {
        // AV_ERROR_MAX_STRING_SIZE is 64; longer system messages are truncated, not lost.
        var buffer = [CChar](repeating: 0, count: 128)
        guard av_strerror(code, &buffer, buffer.count) == 0 else { return "unknown error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// FFmpeg return codes this module branches on (AVERROR macros, via the shim).
enum AVCode {
    static let endOfFile = keyscan_averror_eof()
    static let tryAgain = keyscan_averror_eagain()
    static let outOfMemory = keyscan_averror_enomem()
    static let noSuchFile = keyscan_averror_enoent()
    static let accessDenied = keyscan_averror_eacces()
    static let notPermitted = keyscan_averror_eperm()
    static let isDirectory = keyscan_averror_eisdir()
    static let inputOutput = keyscan_averror_eio()
    static let exit = keyscan_averror_exit()
    static let invalidData = keyscan_averror_invaliddata()
    static let decoderNotFound = keyscan_averror_decoder_not_found()
}

/// The one return-code checker: a negative `code` throws an error naming `call`.
/// Non-negative codes are returned (some calls return a count).
@discardableResult
func check(_ code: Int32, _ call: String) throws(FFmpegError) -> Int32 {
    guard code >= 0 else { throw FFmpegError(call: call, code: code) }
    return code
}

/// The result of an `*_alloc` call: nil means out of memory, thrown naming the call.
func allocated<Pointer>(_ pointer: Pointer?, _ call: String) throws(FFmpegError) -> Pointer {
    guard let pointer else { throw FFmpegError(call: call, code: AVCode.outOfMemory) }
    return pointer
}

/// FFmpeg logs to stderr by default; keyscan keeps stderr for its profile table and
/// reports what FFmpeg would have said through `DecodeError` and `AudioDecoder.warnings`.
enum FFmpegLog {
    /// Evaluated once per process: the log level is global to FFmpeg.
    static let silenced: Void = av_log_set_level(AV_LOG_QUIET)
}
