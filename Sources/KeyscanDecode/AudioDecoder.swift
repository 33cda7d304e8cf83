/// Decodes one audio file into mono Float32 at `sampleRate`, block by block, so memory
/// stays flat however long the track is.
///
/// The samples match `librosa.load(path, sr=44100, mono=True)`: channels averaged,
/// soxr HQ resampling, no normalisation (a full-scale 16-bit WAV peaks at ±1.0).
/// Reads anything FFmpeg reads, including the sound of video files. Unlike librosa, every
/// sample is finite and within ±`sampleLimit`: what a corrupt float file holds beyond
/// that is silenced or clipped, with a warning.
///
/// One decoder per file, used from one thread.
public final class AudioDecoder {
    /// Samples per block that `nextBlock` aims for: about 1.5 s at 44.1 kHz, 256 KB.
    public static let preferredBlockSize = 65_536

    public let path: String
    /// Output sample rate in Hz.
    public let sampleRate: Int
    public let source: AudioSourceInfo
    /// Largest sample magnitude passed on: +60 dBFS. Real recordings stay within a few dB
    /// of full scale (±1.0), so only a corrupt float file goes beyond it, and values near
    /// Float's range would overflow the transform's sums into infinities and NaNs.
    public static let sampleLimit: Float = 1000

    /// Lowest input sample rate read. No music is stored below it (the transform's top bin
    /// is at 1.3 kHz), and from lower rates libsoxr holds back its whole output until the
    /// end: a 1 KB WAV claiming 1 Hz made 1.6 GB of samples at once.
    public static let minimumSourceRate = 1000

    /// What decoding got past, e.g. "skipped 3 corrupt packets (…)".
    public var warnings: [String] {
        var all = notes
        if silencedSamples > 0 {
            all.append("replaced \(silencedSamples) NaN or infinite \(silencedSamples == 1 ? "sample" : "samples") with silence")
        }
        if clippedSamples > 0 {
            all.append("clipped \(clippedSamples) \(clippedSamples == 1 ? "sample" : "samples") beyond ±\(Int(Self.sampleLimit))")
        }
        return all
    }
    private var notes: [String] = []
    private var silencedSamples = 0
    private var clippedSamples = 0

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
    public private(set) var sampleCount = 0
    /// Whether `source.duration` came from the file's header rather than a bitrate guess.
    private let durationIsDeclared: Bool

    /// The most of a file's packets that may be corrupt: past half, what decodes is
    /// fragments of a damaged file rather than the track, and a key from it means little.
    public static let maximumCorruptFraction = 0.5
    /// A file that decodes to less than this share of the duration its header declares
    /// gets a warning: it was probably cut short (an interrupted download).
    public static let truncationWarningFraction = 0.9

    /// Opens and probes `path`, picks its best audio stream, opens the decoder and
    /// sets up the resampler. Nothing is decoded until `nextBlock`.
    ///
    /// - Parameter shouldAbort: polled while reading and decoding; when it returns
    ///   true, the current call throws `.cancelled` (use it for timeouts).
    public init(path: String, sampleRate: Int = 44100,
                shouldAbort: (@Sendable () -> Bool)? = nil) throws(DecodeError) {
        precondition(sampleRate > 0, "AudioDecoder: sample rate \(sampleRate) Hz")
        FFmpegLog.silenced
        try checkReadableFile(path)
        self.path = path
        self.sampleRate = sampleRate
        interrupt = shouldAbort.map(Interrupt.init)

        do { format = try FormatContext(path: path, interrupt: interrupt) }
        catch { throw DecodeError(opening: path, error) }

        guard let stream = format.selectBestAudioStream() else {
            if format.hasMovingPicture { throw .noAudioStream(path: path) }
            throw .notAudio(path: path, reason: "read as \(format.name), which holds no audio")
        }
        streamIndex = stream.index

        do { codec = try CodecContext(decoding: stream) }
        catch let error where error.code == AVCode.decoderNotFound {
            throw .unsupportedCodec(path: path, codec: stream.codecName)
        } catch { throw DecodeError(decoding: path, error) }

        try Self.checkRate(codec.format, path: path)
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

    /// The next block of mono samples at `sampleRate`: about `preferredBlockSize`
    /// samples (at least that many, except the last block, and at most about twice as
    /// many whatever the file's rate), or nil after the end, once the decoder and the
    /// resampler are flushed.
    public func nextBlock() throws(DecodeError) -> [Float]? {
        guard stage != .finished else { return nil }
        var block: [Float] = []
        // Slack for the last frame, which may overshoot the target.
        block.reserveCapacity(Self.preferredBlockSize + 16_384)
        while block.count < Self.preferredBlockSize && stage != .finished {
            try step(into: &block)
        }
        confineToLimit(&block)
        sampleCount += block.count
        return block.isEmpty ? nil : block
    }

    /// NaN and ±inf become silence, finite samples beyond ±`sampleLimit` are clipped.
    /// After resampling, so what soxr's filter spread from one bad input sample is caught
    /// too; float PCM is passed through by FFmpeg as it is in the file.
    private func confineToLimit(_ block: inout [Float]) {
        let limit = Self.sampleLimit
        block.withUnsafeMutableBufferPointer { samples in
            // Nearly always nothing to do: one comparison per sample (false for NaN).
            guard samples.contains(where: { !(abs($0) <= limit) }) else { return }
            for i in samples.indices where !(abs(samples[i]) <= limit) {
                if samples[i].isFinite {
                    clippedSamples += 1
                    samples[i] = samples[i] > 0 ? limit : -limit
                } else {
                    silencedSamples += 1
                    samples[i] = 0
                }
            }
        }
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

    private static func checkRate(_ format: PCMFormat, path: String) throws(DecodeError) {
        guard format.sampleRate >= minimumSourceRate else {
            throw .decodeFailed(path: path, reason: "sample rate \(format.sampleRate) Hz, below the \(minimumSourceRate) Hz keyscan reads")
        }
    }

    private func startFrame(into block: inout [Float]) throws(DecodeError) {
        decodedFrames += 1
        let input = frame.format
        if input != resampler.input {
            // The stream changed rate, channels or sample format midway (chained Ogg,
            // broadcast captures): finish the old resampler's tail, start a new one.
            try Self.checkRate(input, path: path)
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
            if Double(skippedPackets) > Self.maximumCorruptFraction * Double(max(sentPackets, 1)) {
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
           decoded < Self.truncationWarningFraction * declared, declared - decoded > 1 {
            notes.append("header declares \(tenths(declared)) s but only \(tenths(decoded)) s decoded (truncated file?)")
        }
    }
}

/// "12.3": seconds to one decimal, without Foundation's String(format:).
private func tenths(_ seconds: Double) -> String {
    "\((seconds * 10).rounded() / 10)"
}
