import CFFmpeg

/// `AudioDecoder`'s backend for MP3 on the fast path: FFmpeg's demuxer reads the packets
/// (probing, ID3 tags, the LAME/Xing frame, interruption), libmpg123 decodes them with its
/// mono mix and reduced-rate synthesis, and a `Resampler` converts the rest of the way
/// when the reduced rate is not the output rate (12 kHz from a 48 kHz MP3 → 11.025 kHz).
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
    private let interrupt: Interrupt?
    /// libmpg123 synthesises at the stream's rate divided by this.
    let downSampling: Int
    /// libmpg123's output rate, once it has said (MPG123_NEW_FORMAT).
    private var decodedRate: Int?
    /// From `decodedRate` to `sampleRate`, when they differ.
    private var resampler: Resampler?
    /// Output samples still to drop from the start: FFmpeg's skip side data (encoder delay
    /// and decoder delay), at the reduced rate.
    private var pendingSkip = 0
    private var finished = false
    private var sentPackets = 0
    private var decodedFrames = 0
    /// Frames libmpg123 reported an error for, and the last such error.
    private var failures = 0
    private var lastFailure: MPG123Error?
    private var sampleCount = 0
    private let durationIsDeclared: Bool

    /// The divisor of `sourceRate` libmpg123 synthesises at: the largest of 4, 2, 1 whose
    /// rate is still at least `target` and is one libmpg123 outputs without resampling.
    static func downSampling(sourceRate: Int, target: Int) -> Int {
        MPG123Handle.downSamplings.reversed().first { d in
            sourceRate % d == 0 && sourceRate / d >= target && MPG123Handle.rates.contains(sourceRate / d)
        } ?? 1
    }

    /// Decodes the MP3 `stream` of the opened `format` (from `FFmpegDecoder.open`).
    init(path: String, format: FormatContext, stream: StreamView, sampleRate: Int, interrupt: Interrupt?) throws(DecodeError) {
        precondition(stream.isMP3, "MPG123Decoder: not an MP3 stream")
        self.path = path
        self.sampleRate = sampleRate
        self.format = format
        self.interrupt = interrupt
        streamIndex = stream.index
        try checkSourceRate(stream.sampleRate, path: path)
        downSampling = Self.downSampling(sourceRate: stream.sampleRate, target: sampleRate)
        do { mpg123 = try MPG123Handle(downSampling: downSampling) }
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
        // Slack for the last packet's frame (at most 1152 samples) and a resampler's output.
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
        pendingSkip += packet.samplesToSkip / downSampling
        do { try mpg123.feed(packet.bytes) }
        catch { throw DecodeError(mpg123: path, error) }
        try drain(into: &block)
    }

    /// Every frame libmpg123 can decode from what it was fed, into `block`.
    private func drain(into block: inout [Float]) throws(DecodeError) {
        while true {
            let decoded: MPG123Handle.Decoded
            do { decoded = try mpg123.decodeFrame() }
            catch {
                // Before any audio, the file is libmpg123's to refuse (`AudioDecoder` then
                // tries FFmpeg's decoder); after some, the frame is skipped and counted.
                guard decodedFrames > 0 else { throw DecodeError(mpg123: path, error) }
                failures += 1
                lastFailure = error
                return
            }
            switch decoded {
            case .needsInput: return
            case .newFormat(let rate): try start(rate: rate, into: &block)
            case .samples(let samples):
                decodedFrames += 1
                let skipped = min(pendingSkip, samples.count)
                pendingSkip -= skipped
                try append(UnsafeBufferPointer(rebasing: samples[skipped...]), into: &block)
            }
        }
    }

    /// libmpg123's output rate is `rate` from here on: the resampler, if any, follows it.
    private func start(rate: Int, into block: inout [Float]) throws(DecodeError) {
        guard rate != decodedRate else { return }
        try checkSourceRate(rate, path: path)
        do {
            try resampler?.flush(into: &block)
            resampler = rate == sampleRate ? nil
                : try Resampler(from: PCMFormat(sampleRate: rate, channels: 1, sampleFormat: AV_SAMPLE_FMT_FLT), toRate: sampleRate)
        } catch { throw DecodeError(decoding: path, error) }
        decodedRate = rate
    }

    private func append(_ samples: UnsafeBufferPointer<Float>, into block: inout [Float]) throws(DecodeError) {
        guard let base = samples.baseAddress, !samples.isEmpty else { return }
        guard let resampler else { block.append(contentsOf: samples); return }
        var plane: UnsafePointer<UInt8>? = UnsafeRawPointer(base).assumingMemoryBound(to: UInt8.self)
        do {
            var offset = 0
            while offset < samples.count {
                offset = try resampler.convert(planes: &plane, count: samples.count, from: offset, into: &block)
            }
        } catch { throw DecodeError(decoding: path, error) }
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
    /// packet is one that gave no frame.
    private func finish(into block: inout [Float]) throws(DecodeError) {
        finished = true
        guard decodedFrames > 0 else {
            throw .decodeFailed(path: path, reason: "mpg123_decode_frame: no frame decoded from \(sentPackets) packets")
        }
        let lost = max(failures, sentPackets - decodedFrames)
        if lost > 0 {
            let last = lastFailure.map { " (last: \($0.description))" } ?? ""
            if Double(lost) > AudioDecoder.maximumCorruptFraction * Double(sentPackets) {
                throw .decodeFailed(path: path, reason: "\(lost) of \(sentPackets) packets are corrupt\(last); too little of the file decodes")
            }
            let packets = lost == 1 ? "packet" : "packets"
            notes.append("skipped \(lost) corrupt \(packets) of \(sentPackets)\(last)")
        }
        do { try resampler?.flush(into: &block) }
        catch { throw DecodeError(decoding: path, error) }
        let decoded = Double(sampleCount + block.count) / Double(sampleRate)
        if durationIsDeclared, let declared = source.duration,
           decoded < AudioDecoder.truncationWarningFraction * declared, declared - decoded > 1 {
            notes.append("header declares \(tenths(declared)) s but only \(tenths(decoded)) s decoded (truncated file?)")
        }
    }
}
