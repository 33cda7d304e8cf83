/// `AudioDecoder`'s usual backend: any file FFmpeg reads, including the sound of video
/// files, through libavformat, libavcodec and the `Resampler`.
///
/// One decoder per file, used from one thread.
final class FFmpegDecoder: DecoderBackend {
    let path: String
    /// Output sample rate in Hz.
    let sampleRate: Int
    let source: AudioSourceInfo

    /// What decoding got past, e.g. "skipped 3 corrupt packets (…)".
    private(set) var notes: [String] = []

    private let format: FormatContext
    private let streamIndex: Int32
    private let codec: CodecContext
    private var resampler: Resampler
    private let packet: Packet
    private let frame: Frame
    private let interrupt: Interrupt?

    /// reading packets → draining the decoder → finished (decoder and resampler flushed).
    private enum Stage { case reading, draining, finished }
    private var stage = Stage.reading
    private var decodedFrames = 0
    /// Packets of the audio stream handed to the decoder, and how many of them it rejected.
    private var sentPackets = 0
    /// Input samples of `frame` already resampled, while it is only partly converted.
    private var frameOffset: Int?
    private var skippedPackets = 0
    private var lastSkipped: FFmpegError?
    /// Mono samples returned so far, at `sampleRate`.
    private var sampleCount = 0
    /// Whether `source.duration` came from the file's header rather than a bitrate guess.
    private let durationIsDeclared: Bool

    /// Opens and probes `path`, picks its best audio stream, opens the decoder and
    /// sets up the resampler. Nothing is decoded until `nextBlock`.
    ///
    /// - Parameter interrupt: polled while reading and decoding; when it says stop, the
    ///   current call throws `.cancelled`.
    convenience init(path: String, sampleRate: Int, interrupt: Interrupt?) throws(DecodeError) {
        let (format, stream) = try Self.open(path: path, interrupt: interrupt)
        try self.init(path: path, format: format, stream: stream, sampleRate: sampleRate, interrupt: interrupt)
    }

    /// Opens and probes `path` and picks its best audio stream: what every backend fed by
    /// FFmpeg's demuxer starts from.
    static func open(path: String, interrupt: Interrupt?) throws(DecodeError) -> (FormatContext, StreamView) {
        FFmpegLog.silenced
        let format: FormatContext
        do { format = try FormatContext(path: path, interrupt: interrupt) }
        catch { throw DecodeError(opening: path, error) }

        guard let stream = format.selectBestAudioStream() else {
            if format.hasMovingPicture { throw .noAudioStream(path: path) }
            throw .notAudio(path: path, reason: "read as \(format.name), which holds no audio")
        }
        return (format, stream)
    }

    /// Decodes `stream` of the opened `format` (from `open`).
    init(path: String, format: FormatContext, stream: StreamView, sampleRate: Int, interrupt: Interrupt?) throws(DecodeError) {
        self.path = path
        self.sampleRate = sampleRate
        self.interrupt = interrupt
        self.format = format
        streamIndex = stream.index

        do { codec = try CodecContext(decoding: stream) }
        catch let error where error.code == AVCode.decoderNotFound {
            throw .unsupportedCodec(path: path, codec: stream.codecName)
        } catch { throw DecodeError(decoding: path, error) }

        try checkSourceRate(codec.format.sampleRate, path: path)
        do {
            resampler = try Resampler(from: codec.format, toRate: sampleRate)
            packet = try Packet()
            frame = try Frame()
        } catch { throw DecodeError(decoding: path, error) }

        durationIsDeclared = !format.durationIsBitrateEstimate
        source = AudioSourceInfo(
            container: format.name, codec: stream.codecName,
            sampleRate: codec.format.sampleRate, channels: codec.format.channels,
            duration: stream.duration ?? format.duration)
    }

    /// The next block: see `AudioDecoder.nextBlock`.
    func nextBlock() throws(DecodeError) -> [Float]? {
        guard stage != .finished else { return nil }
        var block: [Float] = []
        // Slack for the last frame, which may overshoot the target.
        block.reserveCapacity(AudioDecoder.preferredBlockSize + 16_384)
        while block.count < AudioDecoder.preferredBlockSize && stage != .finished {
            try step(into: &block)
        }
        sampleCount += block.count
        return block.isEmpty ? nil : block
    }

    /// One turn of the send/receive loop: a frame resampled into `block`, a packet
    /// sent to the decoder, or the end of the stream.
    private func step(into block: inout [Float]) throws(DecodeError) {
        if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
        if frameOffset != nil { try resample(into: &block); return }
        let received: CodecContext.Received
        do { received = try codec.receive(into: frame) }
        catch { try skip(error); return }
        switch received {
        case .frame: try startFrame(into: &block)
        case .needsInput where stage == .reading: try sendNextPacket()
        // A decoder must not ask for input while draining; end rather than spin.
        case .needsInput, .endOfStream: try finish(into: &block)
        }
    }

    /// Sends the next packet of the audio stream; at the end of the file, starts draining.
    private func sendNextPacket() throws(DecodeError) {
        while true {
            let more: Bool
            do { more = try format.read(into: packet) }
            catch { try stopReading(error); return }
            guard more else { try startDraining(); return }
            defer { packet.unref() }
            // Discarded streams rarely reach here (cover art queued at open does).
            guard packet.streamIndex == streamIndex else { continue }
            sentPackets += 1
            do { try codec.send(packet) }
            catch { try skip(error) }
            return
        }
    }

    private func startDraining() throws(DecodeError) {
        do { try codec.sendEndOfStream() }
        catch { throw DecodeError(decoding: path, error) }
        stage = .draining
    }

    /// A read error mid-file keeps what was decoded so far, as the ffmpeg CLI does;
    /// before any audio it is fatal.
    private func stopReading(_ error: FFmpegError) throws(DecodeError) {
        if error.code == AVCode.exit { throw .cancelled(path: path) }
        guard decodedFrames > 0 else { throw .readFailed(path: path, reason: error.description) }
        notes.append("stopped reading early (\(error.description)); kept the audio before it")
        try startDraining()
    }

    /// A packet the decoder rejected is skipped and counted; the decoder stays usable.
    /// Decoders report corrupt data as AVERROR_INVALIDDATA mostly, but not only
    /// (EINVAL, PATCHWELCOME), so every code but out-of-memory and exit is a skip.
    private func skip(_ error: FFmpegError) throws(DecodeError) {
        if error.code == AVCode.outOfMemory || error.code == AVCode.exit {
            throw DecodeError(decoding: path, error)
        }
        skippedPackets += 1
        lastSkipped = error
    }

    private func startFrame(into block: inout [Float]) throws(DecodeError) {
        decodedFrames += 1
        let input = frame.format
        if input != resampler.input {
            // The stream changed rate, channels or sample format midway (chained Ogg,
            // broadcast captures): finish the old resampler's tail, start a new one.
            try checkSourceRate(input.sampleRate, path: path)
            do {
                try resampler.flush(into: &block)
                resampler = try Resampler(from: input, toRate: sampleRate)
            } catch { throw DecodeError(decoding: path, error) }
        }
        frameOffset = 0
        try resample(into: &block)
    }

    /// Converts the next part of `frame`: all of it unless the frame is long and its rate
    /// far below `sampleRate` (a 1 kHz WAV's 4096-sample packets become 180,000 samples
    /// each, a MOV's PCM chunk can be far longer); the rest waits for the next step, so
    /// a block stays near `preferredBlockSize`.
    private func resample(into block: inout [Float]) throws(DecodeError) {
        guard let offset = frameOffset else { return }
        do {
            let next = try resampler.convert(frame, from: offset, into: &block)
            frameOffset = next < Int(frame.sampleCount) ? next : nil
        } catch { throw DecodeError(decoding: path, error) }
    }

    /// Flushes the resampler and judges what decoding got past: no frame at all, or more
    /// than `maximumCorruptFraction` of the packets rejected, fails the file; fewer
    /// rejections, or much less audio than the header declared, become warnings.
    private func finish(into block: inout [Float]) throws(DecodeError) {
        stage = .finished
        if let lastSkipped {
            if decodedFrames == 0 {
                throw .decodeFailed(path: path, reason: "\(lastSkipped.description); no packet decoded")
            }
            if Double(skippedPackets) > AudioDecoder.maximumCorruptFraction * Double(max(sentPackets, 1)) {
                throw .decodeFailed(path: path, reason: "\(skippedPackets) of \(sentPackets) packets are corrupt "
                                    + "(last: \(lastSkipped.description)); too little of the file decodes")
            }
            let packets = skippedPackets == 1 ? "packet" : "packets"
            notes.append("skipped \(skippedPackets) corrupt \(packets) of \(sentPackets) (last: \(lastSkipped.description))")
        }
        do { try resampler.flush(into: &block) }
        catch { throw DecodeError(decoding: path, error) }
        let decoded = Double(sampleCount + block.count) / Double(sampleRate)
        // The second condition spares short files the few frames of encoder delay and padding.
        if durationIsDeclared, let declared = source.duration,
           decoded < AudioDecoder.truncationWarningFraction * declared, declared - decoded > 1 {
            notes.append("header declares \(tenths(declared)) s but only \(tenths(decoded)) s decoded (truncated file?)")
        }
    }
}

/// "12.3": seconds to one decimal, without Foundation's String(format:).
func tenths(_ seconds: Double) -> String {
    "\((seconds * 10).rounded() / 10)"
}
