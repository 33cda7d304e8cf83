import CFFmpeg

/// `AudioDecoder`'s backend for MP3 on the fast path: FFmpeg's demuxer reads the packets
/// (probing, ID3 tags, the LAME/Xing frame, interruption), `MP3BandLimiter` cuts each frame
/// down to the spectral lines keyscan reads, and libmpg123 decodes them with its mono mix
/// and reduced-rate synthesis straight to the output rate (`MPG123Handle`).
///
/// One decoder per file, used from one thread.
final class MPG123Decoder: DecoderBackend {
    let path: String
    /// Output sample rate in Hz.
    let sampleRate: Int
    let source: AudioSourceInfo
    private(set) var notes: [String] = []

    private let format: FormatContext
    private let streamIndex: Int32
    private let mpg123: MPG123Handle
    private let packet: Packet
    /// Between the demuxer and libmpg123; nil decodes every spectral line.
    private let limiter: MP3BandLimiter?
    private let interrupt: Interrupt?
    /// Output samples still to drop from the start: FFmpeg's skip side data (encoder delay
    /// and decoder delay), at the output rate.
    private var pendingSkip = 0
    private var finished = false
    private var sentPackets = 0
    private var decodedFrames = 0
    /// Frames libmpg123 reported an error for, and the last such error.
    private var failures = 0
    /// Whether libmpg123 has not been fed since it started: see `step`.
    private var awaitingHeader = true
    private var lastFailure: MPG123Error?
    private var sampleCount = 0
    private let durationIsDeclared: Bool

    /// Largest sample magnitude of a frame taken as audio: +24 dBFS. libmpg123 decodes what a
    /// valid header announces without checking the payload, so a frame whose side information
    /// is damaged comes out as noise at up to thousands of times full scale (random bytes in
    /// a frame's payload did); real MP3s overshoot full scale by a few dB at most. Such a
    /// frame is dropped and counted as corrupt, as FFmpeg's decoder rejects most of them.
    static let frameLimit: Float = 16

    /// Decodes the MP3 `stream` of the opened `format` (from `FFmpegDecoder.open`), only the
    /// spectral lines keyscan reads when `bandLimited`.
    init(path: String, format: FormatContext, stream: StreamView, sampleRate: Int, bandLimited: Bool = true,
         interrupt: Interrupt?) throws(DecodeError) {
        precondition(stream.isMP3, "MPG123Decoder: not an MP3 stream")
        self.path = path
        self.sampleRate = sampleRate
        self.format = format
        self.interrupt = interrupt
        streamIndex = stream.index
        limiter = bandLimited ? MP3BandLimiter() : nil
        try checkSourceRate(stream.sampleRate, path: path)
        do { mpg123 = try MPG123Handle(sourceRate: stream.sampleRate, outputRate: sampleRate) }
        catch { throw DecodeError(mpg123: path, error) }
        do { packet = try Packet() }
        catch { throw DecodeError(decoding: path, error) }
        durationIsDeclared = !format.durationIsBitrateEstimate
        source = AudioSourceInfo(container: format.name, codec: stream.codecName, sampleRate: stream.sampleRate,
                                 channels: stream.channels, duration: stream.duration ?? format.duration,
                                 library: .libmpg123)
    }

    /// The next block: see `AudioDecoder.nextBlock`.
    func nextBlock() throws(DecodeError) -> [Float]? {
        guard !finished else { return nil }
        var block: [Float] = []
        // Slack for the last packet's frames.
        block.reserveCapacity(AudioDecoder.preferredBlockSize + 16_384)
        while block.count < AudioDecoder.preferredBlockSize && !finished {
            try step(into: &block)
        }
        sampleCount += block.count
        return block.isEmpty ? nil : block
    }

    /// One packet of the MP3 stream through libmpg123, or the end.
    private func step(into block: inout [Float]) throws(DecodeError) {
        if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
        let more: Bool
        do { more = try format.read(into: packet) }
        catch { try stopReading(error, into: &block); return }
        guard more else { try finish(into: &block); return }
        defer { packet.unref() }
        guard packet.streamIndex == streamIndex else { return }
        sentPackets += 1
        // FFmpeg's skip side data: the encoder delay and the decoder's 529 samples at the start,
        // the encoder's padding at the end (from the LAME header, on the last packet), as
        // FFmpeg's decoder drops them; at the output rate, the same share of the samples.
        let skip = packet.samplesToSkip
        pendingSkip += skip.start * sampleRate / source.sampleRate
        // A frame announcing another rate than the stream's is damage (random bytes imitate a
        // header every few KB): not fed, so libmpg123 never sets its output up for it. At the
        // start, and after a restart, libmpg123 takes its format from the first header it
        // meets: it is fed from a packet that starts with a header of the stream's rate on.
        let rate = MP3SideInfo.sampleRate(ofHeaderAt: packet.bytes)
        if let rate, rate != source.sampleRate { return }
        if awaitingHeader {
            guard rate != nil else { return }
            awaitingHeader = false
        }
        // The limiter holds frames back a little (see `MP3BandLimiter`): the padding is on the
        // last packet, whose frame is the last out once the limiter hands on all it holds.
        let padding = skip.end * sampleRate / source.sampleRate
        do {
            if let limiter {
                try limiter.push(packet.bytes) { (frame) throws(MPG123Error) in try mpg123.feed(frame) }
                if padding > 0 { try limiter.flush { (frame) throws(MPG123Error) in try mpg123.feed(frame) } }
            } else {
                try mpg123.feed(packet.bytes)
            }
        } catch { throw DecodeError(mpg123: path, error) }
        // The packet's frames go straight into the block; the padding is cut from their end.
        let before = block.count
        try drain(into: &block)
        block.removeLast(min(block.count - before, padding))
    }

    /// The frames the limiter still holds, at the end of the stream.
    private func flushLimiter(into block: inout [Float]) throws(DecodeError) {
        guard let limiter else { return }
        do { try limiter.flush { (frame) throws(MPG123Error) in try mpg123.feed(frame) } }
        catch { throw DecodeError(mpg123: path, error) }
        try drain(into: &block)
    }

    /// Every frame libmpg123 can decode from what it was fed, appended to `block`.
    private func drain(into block: inout [Float]) throws(DecodeError) {
        while true {
            let parsed: MPG123Handle.Parsed
            do { parsed = try mpg123.nextFrame() }
            catch { try failed(error); return }
            switch parsed {
            case .needsInput: return
            case .ended:
                // A header of another stream inside a packet: the rest of what was fed is lost.
                do { try mpg123.restart() } catch { throw DecodeError(mpg123: path, error) }
                awaitingHeader = true
                return
            case .newFormat(let rate):
                // The first frame's rate, reduced: another than the stream's is damage.
                guard rate == sampleRate else {
                    try failed(MPG123Error(call: "mpg123_getformat", code: 0,
                                           text: "\(rate) Hz out, where the stream's rate gives \(sampleRate) Hz"))
                    return
                }
            case .frame: break
            }
            // Damaged side information: FFmpeg's decoder rejects such a frame, libmpg123
            // would conceal it. Counted as lost (see `finish`), not decoded.
            guard mpg123.frameIsValid else { continue }
            let decoded: UnsafeBufferPointer<Float>
            do { decoded = try mpg123.decode() }
            catch { try failed(error); return }
            guard !AudioDecoder.anyBeyond(Self.frameLimit, in: decoded) else { continue }
            decodedFrames += 1
            let skipped = min(pendingSkip, decoded.count)
            pendingSkip -= skipped
            block.append(contentsOf: decoded[skipped...])
        }
    }

    /// Before any audio, the file is libmpg123's to refuse (`AudioDecoder` then tries
    /// FFmpeg's decoder); after some, the frame is skipped and counted, and libmpg123 starts
    /// again at the next packet that starts with a frame header (it does not resynchronise:
    /// see `MPG123Handle`).
    private func failed(_ error: MPG123Error) throws(DecodeError) {
        guard decodedFrames > 0 else { throw DecodeError(mpg123: path, error) }
        failures += 1
        lastFailure = error
        do { try mpg123.restart() } catch { throw DecodeError(mpg123: path, error) }
        awaitingHeader = true
    }

    /// A read error mid-file keeps what was decoded so far, as FFmpeg's path does.
    private func stopReading(_ error: FFmpegError, into block: inout [Float]) throws(DecodeError) {
        if error.code == AVCode.exit { throw .cancelled(path: path) }
        guard decodedFrames > 0 else { throw .readFailed(path: path, reason: error.description) }
        notes.append("stopped reading early (\(error.description)); kept the audio before it")
        try finish(into: &block)
    }

    /// Judges what decoding got past, as FFmpeg's path does: no frame fails the file, and so
    /// does more than `maximumCorruptFraction` of the packets lost; fewer become a warning.
    /// libmpg123 skips damaged data by resynchronising, mostly without an error, so a lost
    /// packet is one that gave no frame (or only a frame beyond `frameLimit`); the last
    /// packet of a file cut short is a partial frame, which libmpg123, fed, waits for the rest
    /// of, and is not counted.
    private func finish(into block: inout [Float]) throws(DecodeError) {
        try flushLimiter(into: &block)
        finished = true
        guard decodedFrames > 0 else {
            throw .decodeFailed(path: path, reason: "mpg123_decode_frame: no frame decoded from \(sentPackets) packets")
        }
        let lost = max(failures, sentPackets - decodedFrames - 1)
        if lost > 0 {
            let last = lastFailure.map { " (last: \($0.description))" } ?? ""
            if Double(lost) > AudioDecoder.maximumCorruptFraction * Double(sentPackets) {
                throw .decodeFailed(path: path, reason: "\(lost) of \(sentPackets) packets are corrupt\(last); too little of the file decodes")
            }
            let packets = lost == 1 ? "packet" : "packets"
            notes.append("skipped \(lost) corrupt \(packets) of \(sentPackets)\(last)")
        }
        let decoded = Double(sampleCount + block.count) / Double(sampleRate)
        if durationIsDeclared, let declared = source.duration,
           decoded < AudioDecoder.truncationWarningFraction * declared, declared - decoded > 1 {
            notes.append("header declares \(tenths(declared)) s but only \(tenths(decoded)) s decoded (truncated file?)")
        }
    }
}
