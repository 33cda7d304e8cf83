import CMPG123

/// A failed libmpg123 call: the function's name, its return code (MPG123_*) and the
/// library's own text for it (`mpg123_strerror` on the handle, else `mpg123_plain_strerror`).
///
/// Internal, like `FFmpegError`: `MPG123Decoder` turns it into a public `DecodeError`.
struct MPG123Error: Error, Equatable, CustomStringConvertible {
    let call: String
    let code: Int32
    let text: String

    /// "mpg123_decode_frame: Unable to establish a valid decoding state. (code 41)"
    var description: String { "\(call): \(text)" }
}

extension DecodeError {
    /// A libmpg123 failure is the decoder's: reading and cancellation happen in FFmpeg's
    /// demuxer, before libmpg123 sees the bytes.
    init(mpg123 path: String, _ error: MPG123Error) {
        self = .decodeFailed(path: path, reason: error.description)
    }
}
