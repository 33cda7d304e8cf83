import CMPG123

/// Owns one libmpg123 decoder (mpg123_handle) in feed mode: it is handed MP3 frames, as
/// FFmpeg's demuxer reads them, and returns mono Float32 at the stream's rate divided by
/// `downSampling`. The only file that calls libmpg123.
///
/// `MPG123_MONO_MIX` averages the two channels before synthesis (as `librosa.to_mono`
/// averages after it: synthesis is linear, so the two agree to rounding), and
/// `MPG123_DOWN_SAMPLE` synthesises only the lowest half or quarter of the 32 subbands at
/// that fraction of the rate, so the samples the transform never reads are never made.
final class MPG123Handle {
    private let handle: OpaquePointer

    /// The rate divisors libmpg123's synthesis offers: `MPG123_DOWN_SAMPLE` 0, 1 and 2.
    static let downSamplings = [1, 2, 4]

    /// The output rates libmpg123 can produce without its own resampler (`mpg123_rates`):
    /// a reduced rate must be one of them, or libmpg123 finds no output format.
    static let rates: [Int] = {
        var list: UnsafePointer<Int>?
        var count = 0
        mpg123_rates(&list, &count)
        guard let list else { return [] }
        return (0..<count).map { list[$0] }
    }()

    /// Global set-up, once per process (a no-op since libmpg123 1.27, needed before it).
    private static let initialised: Int32 = mpg123_init()

    init(downSampling: Int) throws(MPG123Error) {
        precondition(Self.downSamplings.contains(downSampling), "MPG123Handle: down-sampling by \(downSampling)")
        try Self.check(Self.initialised, "mpg123_init")
        var code: Int32 = 0
        guard let created = mpg123_new(nil, &code) else {
            throw MPG123Error(call: "mpg123_new", code: code, text: String(cString: mpg123_plain_strerror(code)))
        }
        handle = created
        // Fully initialised from here: a throw below still runs deinit.

        // Quiet: libmpg123 would print warnings to stderr, which is keyscan's profile table's.
        // Mono mix and float output. Not gapless: FFmpeg's demuxer has already read the
        // LAME/Xing frame, and its skip side data says what to drop (see `MPG123Decoder`).
        try check(mpg123_param2(handle, Int32(MPG123_ADD_FLAGS.rawValue), Int(MPG123_QUIET.rawValue | MPG123_MONO_MIX.rawValue | MPG123_FORCE_FLOAT.rawValue), 0),
                  "mpg123_param2(MPG123_ADD_FLAGS)")
        try check(mpg123_param2(handle, Int32(MPG123_REMOVE_FLAGS.rawValue), Int(MPG123_GAPLESS.rawValue), 0), "mpg123_param2(MPG123_REMOVE_FLAGS)")
        try check(mpg123_param2(handle, Int32(MPG123_DOWN_SAMPLE.rawValue), downSampling.trailingZeroBitCount, 0),
                  "mpg123_param2(MPG123_DOWN_SAMPLE)")
        // Only mono float, at any rate it knows.
        try check(mpg123_format_none(handle), "mpg123_format_none")
        for rate in Self.rates {
            try check(mpg123_format(handle, rate, Int32(MPG123_MONO.rawValue), Int32(MPG123_ENC_FLOAT_32.rawValue)), "mpg123_format")
        }
        try check(mpg123_open_feed(handle), "mpg123_open_feed")
    }

    deinit {
        mpg123_delete(handle)
    }

    /// Copies `bytes` into libmpg123's input buffer.
    func feed(_ bytes: UnsafeRawBufferPointer) throws(MPG123Error) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        try check(mpg123_feed(handle, base.assumingMemoryBound(to: UInt8.self), bytes.count), "mpg123_feed")
    }

    enum Decoded {
        /// One frame's samples, valid until the next call.
        case samples(UnsafeBufferPointer<Float>)
        /// The output format is (or will be) `rate` Hz from here on.
        case newFormat(rate: Int)
        /// Every frame of the bytes fed so far is out.
        case needsInput
    }

    /// Decodes the next frame of what was fed.
    func decodeFrame() throws(MPG123Error) -> Decoded {
        var frameNumber: off_t = 0
        var audio: UnsafeMutablePointer<UInt8>?
        var bytes = 0
        let code = mpg123_decode_frame(handle, &frameNumber, &audio, &bytes)
        switch code {
        case Int32(MPG123_NEED_MORE.rawValue), Int32(MPG123_DONE.rawValue):
            return .needsInput
        case Int32(MPG123_NEW_FORMAT.rawValue):
            var rate = 0
            var channels: Int32 = 0, encoding: Int32 = 0
            try check(mpg123_getformat(handle, &rate, &channels, &encoding), "mpg123_getformat")
            return .newFormat(rate: rate)
        default:
            try check(code, "mpg123_decode_frame")
            let count = bytes / MemoryLayout<Float>.size
            guard let audio, count > 0 else { return .samples(UnsafeBufferPointer(start: nil, count: 0)) }
            return .samples(UnsafeBufferPointer(start: UnsafeRawPointer(audio).assumingMemoryBound(to: Float.self), count: count))
        }
    }

    /// The one return-code checker for the handle's calls: anything but MPG123_OK throws,
    /// with the handle's error text (which says more than the code's, e.g. for MPG123_ERR).
    private func check(_ code: Int32, _ call: String) throws(MPG123Error) {
        guard code != Int32(MPG123_OK.rawValue) else { return }
        let text = code == Int32(MPG123_ERR.rawValue)
            ? String(cString: mpg123_strerror(handle))
            : String(cString: mpg123_plain_strerror(code))
        throw MPG123Error(call: call, code: code == Int32(MPG123_ERR.rawValue) ? mpg123_errcode(handle) : code, text: text)
    }

    private static func check(_ code: Int32, _ call: String) throws(MPG123Error) {
        guard code != Int32(MPG123_OK.rawValue) else { return }
        throw MPG123Error(call: call, code: code, text: String(cString: mpg123_plain_strerror(code)))
    }
}
