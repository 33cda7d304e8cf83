import CMPG123

/// Owns one libmpg123 decoder (mpg123_handle) in feed mode: it is handed MP3 frames, as
/// FFmpeg's demuxer reads them, and returns mono Float32 at `outputRate` whatever the
/// stream's rate. The only file that calls libmpg123.
///
/// `MPG123_MONO_MIX` averages the two channels before synthesis (as `librosa.to_mono`
/// averages after it: synthesis is linear, so the two agree to rounding).
/// When the output rate is the stream's, or a half or a quarter of it (11.025 kHz from 22.05
/// or 44.1 kHz MP3s), `MPG123_DOWN_SAMPLE` runs libmpg123's 2:1 or 4:1 synthesis, which
/// computes only the lowest 16 or 8 of the 32 subbands. At other ratios (48, 32, 24, 16, 12
/// and 8 kHz MP3s) `MPG123_FORCE_RATE` runs its N-to-M synthesis, which drops the subbands
/// above the output's Nyquist frequency and interpolates the filterbank at the output
/// instants: one step, but dearer; forcing 11.025 kHz on a 44.1 kHz MP3 takes that path too,
/// and 1.6× the CPU time of the 4:1 synthesis (`mpg123 -t -m -e f32`, `-r 11025` against
/// `-4`, 0.31 against 0.19 s on a 5-minute MP3, three runs each).
///
/// No "Frankenstein" streams (`MPG123_NO_FRANKENSTEIN`) and no resynchronising
/// (`MPG123_NO_RESYNC`): a header announcing another rate mid-stream ends the stream
/// (`nextFrame` says `.ended`), and bytes that are not the next frame are an error, after
/// either of which `MPG123Decoder` calls `restart` and feeds again from a packet that starts
/// with a frame header. libmpg123 never scans damaged bytes for something like a header,
/// then: one of another rate would make it set up another output format, which for a
/// quarter of a rate outside MPEG's nine fails, printing to stderr whatever MPG123_QUIET
/// says (libmpg123 1.31; the fuzzer met it hundreds of times a minute).
final class MPG123Handle {
    private let handle: OpaquePointer

    /// The output rates libmpg123 can produce without its own resampler (`mpg123_rates`):
    /// a reduced rate must be one of them, or libmpg123 finds no output format.
    static let rates: [Int] = {
        var list: UnsafePointer<Int>?
        var count = 0
        mpg123_rates(&list, &count)
        guard let list else { return [] }
        return (0..<count).map { list[$0] }
    }()

    /// libmpg123's API version (its headers; 1.31 has no run-time version call) and the
    /// synthesis code it picked for this processor (`mpg123_decoders`, best first).
    static var libraryDescription: String {
        let best = mpg123_decoders()?.pointee.map { String(cString: $0) } ?? "none"
        return "libmpg123, API \(MPG123_API_VERSION) (decoder \(best))"
    }

    /// Global set-up, once per process (a no-op since libmpg123 1.27, needed before it).
    private static let initialised: Int32 = mpg123_init()

    /// - Parameters:
    ///   - sourceRate: the stream's rate, from FFmpeg's probe.
    ///   - outputRate: one of `rates`.
    init(sourceRate: Int, outputRate: Int) throws(MPG123Error) {
        precondition(Self.rates.contains(outputRate), "MPG123Handle: output rate \(outputRate) Hz")
        try Self.check(Self.initialised, "mpg123_init")
        var code: Int32 = 0
        guard let created = mpg123_new(nil, &code) else {
            throw MPG123Error(call: "mpg123_new", code: code, text: String(cString: mpg123_plain_strerror(code)))
        }
        handle = created
        // Fully initialised from here: a throw below still runs deinit.

        // Quiet: libmpg123 would print warnings to stderr, which is keyscan's profile table's.
        // Mono mix and float output. No "Frankenstein" streams: a header announcing another
        // rate or layer mid-stream is damage (random bytes imitate one every few KB), to be
        // skipped, not a new stream to set the output up for. Not gapless: FFmpeg's demuxer
        // has already read the LAME/Xing frame, and its skip side data says what to drop
        // (see `MPG123Decoder`).
        // No read-ahead (`MPG123_NO_READAHEAD`): FFmpeg's demuxer hands over whole frames, and at
        // the start of a stream libmpg123 would otherwise peek at the next frame's header to
        // confirm the first, and when that is damage, search the bytes after the first header
        // for another, resynchronising whatever `MPG123_NO_RESYNC` says: one of another rate
        // there is an output format it fails to set up, printing to stderr (see above).
        let flags = MPG123_QUIET.rawValue | MPG123_MONO_MIX.rawValue | MPG123_FORCE_FLOAT.rawValue | MPG123_NO_FRANKENSTEIN.rawValue
            | MPG123_NO_RESYNC.rawValue | MPG123_NO_READAHEAD.rawValue
        try check(mpg123_param2(handle, Int32(MPG123_ADD_FLAGS.rawValue), Int(flags), 0), "mpg123_param2(MPG123_ADD_FLAGS)")
        try check(mpg123_param2(handle, Int32(MPG123_REMOVE_FLAGS.rawValue), Int(MPG123_GAPLESS.rawValue), 0), "mpg123_param2(MPG123_REMOVE_FLAGS)")
        // Mono float only. At a reduced rate, at any rate libmpg123 knows: a damaged stream's
        // first header may announce another rate than FFmpeg's probe found, and an output
        // format libmpg123 cannot set up is printed to stderr; `MPG123Decoder` treats any
        // rate but `outputRate` as damage.
        try check(mpg123_format_none(handle), "mpg123_format_none")
        let outputs: [Int]
        if let halvings = (0...2).first(where: { sourceRate == outputRate << $0 }) {
            try check(mpg123_param2(handle, Int32(MPG123_DOWN_SAMPLE.rawValue), halvings, 0), "mpg123_param2(MPG123_DOWN_SAMPLE)")
            outputs = Self.rates
        } else {
            try check(mpg123_param2(handle, Int32(MPG123_FORCE_RATE.rawValue), outputRate, 0), "mpg123_param2(MPG123_FORCE_RATE)")
            outputs = [outputRate]
        }
        for rate in outputs {
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

    enum Parsed {
        /// The next frame is read and parsed, not yet decoded: `frameIsValid`, then `decode`
        /// (or the next `nextFrame`, which skips it).
        case frame
        /// The output format is `rate` Hz from the frame just parsed on.
        case newFormat(rate: Int)
        /// Every frame of the bytes fed so far is out.
        case needsInput
        /// A header announced another stream (MPG123_DONE): `restart` to go on.
        case ended
    }

    /// Forgets the stream, and what was fed of it, to start again with the next bytes fed.
    func restart() throws(MPG123Error) {
        try check(mpg123_open_feed(handle), "mpg123_open_feed")
    }

    /// Reads and parses the next frame of what was fed (`mpg123_framebyframe_next`: decoding
    /// frame by frame lets a damaged frame be looked at, and skipped, before it is decoded).
    func nextFrame() throws(MPG123Error) -> Parsed {
        let code = mpg123_framebyframe_next(handle)
        switch code {
        case Int32(MPG123_NEED_MORE.rawValue): return .needsInput
        case Int32(MPG123_DONE.rawValue): return .ended
        case Int32(MPG123_NEW_FORMAT.rawValue): return .newFormat(rate: try outputRate())
        default:
            try check(code, "mpg123_framebyframe_next")
            return .frame
        }
    }

    /// Whether the parsed frame's side information is usable (`MP3SideInfo`).
    var frameIsValid: Bool {
        var header: UInt = 0
        var body: UnsafeMutablePointer<UInt8>?
        var count = 0
        guard mpg123_framedata(handle, &header, &body, &count) == Int32(MPG123_OK.rawValue), let body else { return false }
        return MP3SideInfo.isValid(header: UInt32(truncatingIfNeeded: header), body: UnsafeRawBufferPointer(start: body, count: count))
    }

    /// Decodes the parsed frame: its samples, valid until the next call.
    func decode() throws(MPG123Error) -> UnsafeBufferPointer<Float> {
        var frameNumber: off_t = 0
        var audio: UnsafeMutablePointer<UInt8>?
        var bytes = 0
        var code = mpg123_framebyframe_decode(handle, &frameNumber, &audio, &bytes)
        // The format change of a frame `nextFrame` has already reported.
        if code == Int32(MPG123_NEW_FORMAT.rawValue) { code = mpg123_framebyframe_decode(handle, &frameNumber, &audio, &bytes) }
        try check(code, "mpg123_framebyframe_decode")
        let count = bytes / MemoryLayout<Float>.size
        guard let audio, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(audio).assumingMemoryBound(to: Float.self), count: count)
    }

    private func outputRate() throws(MPG123Error) -> Int {
        var rate = 0
        var channels: Int32 = 0, encoding: Int32 = 0
        try check(mpg123_getformat(handle, &rate, &channels, &encoding), "mpg123_getformat")
        return rate
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
