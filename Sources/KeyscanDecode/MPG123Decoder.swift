import CFFmpeg

/// `AudioDecoder`'s backend for MP3 on the fast path: FFmpeg's demuxer reads the packets
/// (probing, ID3 tags, the LAME/Xing frame, interruption), `MP3BandLimiter` cuts each frame
/// down to the spectral lines keyscan reads, and libmpg123 decodes them with its mono mix
/// and reduced-rate synthesis straight to the output rate (`MPG123Handle`).
///
/// With `MP3Split` on, a file is read ahead into memory, and its later half decoded on a
/// second thread by a second handle (`MP3LaterRange`), the samples the same.
///
/// One decoder per file, used from one thread.
final class MPG123Decoder: DecoderBackend {
    let path: String
    /// Output sample rate in Hz.
    let sampleRate: Int
    let source: AudioSourceInfo
    private(set) var notes: [String] = []
    private(set) var splitOutcome = MP3SplitOutcome.sequential

    private let format: FormatContext
    private let streamIndex: Int32
    private let mpg123: MPG123Handle
    private let packet: Packet
    /// Between the demuxer and libmpg123; nil decodes every spectral line.
    private let limiter: MP3BandLimiter?
    private let interrupt: Interrupt?
    private let split: MP3Split
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

    // Reading ahead and splitting (`MP3Split`).
    /// Whether `readAhead` has run (on the first block).
    private var planned = false
    /// The packets read ahead; `step` takes them before reading on.
    private var ahead: MP3Packets?
    private var nextAhead = 0
    /// How reading ahead ended: at the end of the file, or with this read error (nil while
    /// the demuxer has more, or when nothing was read ahead).
    private var aheadEnded = false
    private var aheadFailure: FFmpegError?
    /// The later range, decoding on its own thread, and the packet it starts at.
    private var later: MP3LaterRange?
    /// The later range's batch being taken, and its next packet.
    private var batch = MP3LaterRange.Batch()
    private var batchPacket = 0
    private var batchStart = 0
    /// Packets before this one are fed with their samples dropped: the later range already
    /// gave them, and this handle catches up with it before decoding on in order.
    private var discardBefore = 0
    /// Whether anything but one regular frame per fed packet happened (see `MP3LaterRange`).
    private var irregular = false
    private var seamChecked = false
    /// A packet read but not kept ahead (it did not fit), still in `packet`, to decode after
    /// the ones that did.
    private var held: Fed?

    // Between the limiter and libmpg123 (`readPacket`).
    /// Packets the limiter has handed on, not yet fed.
    private let limited = LimitedPackets()
    /// The skip side data of the packets pushed into the limiter and not handed on yet, oldest first.
    private var pushedSkips: [(start: Int, end: Int)] = []
    /// Whether the demuxer has reached the end, and the read error it stopped at, which
    /// `readPacket` throws once the packets before it are out.
    private var demuxed = false
    private var readError: FFmpegError?

    /// Largest sample magnitude of a frame taken as audio: +24 dBFS. libmpg123 decodes what a
    /// valid header announces without checking the payload, so a frame whose side information
    /// is damaged comes out as noise at up to thousands of times full scale (random bytes in
    /// a frame's payload did); real MP3s overshoot full scale by a few dB at most. Such a
    /// frame is dropped and counted as corrupt, as FFmpeg's decoder rejects most of them.
    static let frameLimit: Float = 16

    /// Decodes the MP3 `stream` of the opened `format` (from `FFmpegDecoder.open`), only the
    /// spectral lines keyscan reads when `bandLimited`.
    init(path: String, format: FormatContext, stream: StreamView, sampleRate: Int, bandLimited: Bool = true,
         interrupt: Interrupt?, split: MP3Split = .off) throws(DecodeError) {
        precondition(stream.isMP3, "MPG123Decoder: not an MP3 stream")
        self.path = path
        self.sampleRate = sampleRate
        self.format = format
        self.interrupt = interrupt
        self.split = split
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

    /// The later range's thread is stopped and joined whatever ends the decoder: the end,
    /// an error, a cancellation, `AudioDecoder` falling back to FFmpeg's decoder.
    deinit { later?.stop() }

    /// The next block: see `AudioDecoder.nextBlock`.
    func nextBlock() throws(DecodeError) -> [Float]? {
        guard !finished else { return nil }
        if !planned {
            planned = true
            if split.isEnabled { try readAhead() }
        }
        var block: [Float] = []
        // Slack for the last packet's frames.
        block.reserveCapacity(AudioDecoder.preferredBlockSize + 16_384)
        while block.count < AudioDecoder.preferredBlockSize && !finished {
            if let later, nextAhead == later.range.lowerBound {
                try takeLater(later, into: &block)
            } else {
                try step(into: &block)
            }
        }
        sampleCount += block.count
        return block.isEmpty ? nil : block
    }

    /// A packet as it is fed to libmpg123: its bytes, valid until `packet.unref()` (through
    /// the limiter, until the next `readPacket`; read ahead, while `ahead` lives), and
    /// FFmpeg's skip side data.
    private typealias Fed = (bytes: UnsafeRawBufferPointer, skip: (start: Int, end: Int))

    /// The next packet of the stream, as it is to be fed, nil at the end; `packet.unref()`
    /// after use. Every packet comes through here once, in file order, whether it is decoded
    /// at once or read ahead and handed to either range, so both ranges of a split are fed
    /// the limiter's packets. The limiter hands each packet on once, in order, but a few
    /// packets late: each keeps its own skip side data, and the bytes stay valid until the
    /// next call. A read error comes after the packets the limiter still held.
    private func readPacket() throws(FFmpegError) -> Fed? {
        guard let limiter else { return try readDemuxed() }
        while limited.isEmpty {
            if let error = readError { readError = nil; throw error }
            if demuxed { return nil }
            let next: Fed?
            do { next = try readDemuxed() }
            catch { readError = error; next = nil }
            if let next {
                pushedSkips.append(next.skip)
                limiter.push(next.bytes) { limited.append($0, skip: takePushedSkip()) }
                packet.unref()
            } else {
                if readError == nil { demuxed = true }
                limiter.flush { limited.append($0, skip: takePushedSkip()) }
            }
        }
        return limited.take()
    }

    /// The skip side data of the oldest packet pushed into the limiter and not handed on.
    private func takePushedSkip() -> (start: Int, end: Int) {
        pushedSkips.isEmpty ? (0, 0) : pushedSkips.removeFirst()
    }

    /// The demuxer's next packet of the stream, nil at the end.
    private func readDemuxed() throws(FFmpegError) -> Fed? {
        while try format.read(into: packet) {
            if packet.streamIndex == streamIndex { return (packet.bytes, packet.samplesToSkip) }
            packet.unref()
        }
        return nil
    }

    /// One packet of the MP3 stream through libmpg123, or the end.
    private func step(into block: inout [Float]) throws(DecodeError) {
        if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
        if let ahead {
            if nextAhead < ahead.count {
                let index = nextAhead
                nextAhead += 1
                let entry = ahead.entries[index]
                let fed: Fed = (ahead.bytes(index), (entry.skipStart, entry.skipEnd))
                if index < discardBefore {
                    var dropped: [Float] = []
                    try decode(fed, headerRate: ahead.headerRate(index), into: &dropped)
                } else {
                    try decode(fed, headerRate: ahead.headerRate(index), into: &block)
                }
                return
            }
            if let aheadFailure { try stopReading(aheadFailure, into: &block); return }
            if aheadEnded { try finish(into: &block); return }
            if let held {
                self.held = nil
                defer { packet.unref() }
                try decode(held, headerRate: MP3SideInfo.sampleRate(ofHeaderAt: held.bytes), into: &block)
                return
            }
        }
        let next: Fed?
        do { next = try readPacket() }
        catch { try stopReading(error, into: &block); return }
        guard let next else { try finish(into: &block); return }
        defer { packet.unref() }
        try decode(next, headerRate: MP3SideInfo.sampleRate(ofHeaderAt: next.bytes), into: &block)
    }

    /// Feeds one packet to libmpg123 and appends its frames' samples to `block`.
    private func decode(_ fed: Fed, headerRate rate: Int?, into block: inout [Float]) throws(DecodeError) {
        let (bytes, skip) = fed
        sentPackets += 1
        // FFmpeg's skip side data: the encoder delay and the decoder's 529 samples at the start,
        // the encoder's padding at the end (from the LAME header, on the last packet), as
        // FFmpeg's decoder drops them; at the output rate, the same share of the samples.
        pendingSkip += skip.start * sampleRate / source.sampleRate
        // A frame announcing another rate than the stream's is damage (random bytes imitate a
        // header every few KB): not fed, so libmpg123 never sets its output up for it. At the
        // start, and after a restart, libmpg123 takes its format from the first header it
        // meets: it is fed from a packet that starts with a header of the stream's rate on.
        if let rate, rate != source.sampleRate { irregular = true; return }
        if awaitingHeader {
            guard rate != nil else { irregular = true; return }
            awaitingHeader = false
        }
        do { try mpg123.feed(bytes) }
        catch { throw DecodeError(mpg123: path, error) }
        // The packet's frames go straight into the block; the padding is cut from their end.
        let before = block.count
        let frames = try drain(into: &block)
        if frames != 1 { irregular = true }
        block.removeLast(min(block.count - before, skip.end * sampleRate / source.sampleRate))
    }

    /// Every frame libmpg123 can decode from what it was fed, appended to `block`: how many
    /// were synthesised.
    private func drain(into block: inout [Float]) throws(DecodeError) -> Int {
        var frames = 0
        while true {
            let parsed: MPG123Handle.Parsed
            do { parsed = try mpg123.nextFrame() }
            catch { try failed(error); return frames }
            switch parsed {
            case .needsInput: return frames
            case .ended:
                // A header of another stream inside a packet: the rest of what was fed is lost.
                do { try mpg123.restart() } catch { throw DecodeError(mpg123: path, error) }
                awaitingHeader = true
                irregular = true
                return frames
            case .newFormat(let rate):
                // The first frame's rate, reduced: another than the stream's is damage.
                guard rate == sampleRate else {
                    try failed(MPG123Error(call: "mpg123_getformat", code: 0,
                                           text: "\(rate) Hz out, where the stream's rate gives \(sampleRate) Hz"))
                    return frames
                }
            case .frame: break
            }
            // Damaged side information: FFmpeg's decoder rejects such a frame, libmpg123
            // would conceal it. Counted as lost (see `finish`), not decoded.
            guard mpg123.frameIsValid else { irregular = true; continue }
            let decoded: UnsafeBufferPointer<Float>
            do { decoded = try mpg123.decode() }
            catch { try failed(error); return frames }
            frames += 1
            guard !AudioDecoder.anyBeyond(Self.frameLimit, in: decoded) else { irregular = true; continue }
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
        irregular = true
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

// MARK: Splitting (`MP3Split`)

extension MPG123Decoder {
    /// Reads the whole stream's packets into memory and, if the file is worth it, starts the
    /// later range's thread. Nothing is decoded yet; `step` takes the packets from memory.
    /// A file too large or of unknown size is not read ahead; one read short of its end
    /// (an error) is decoded in order up to the error, as without reading ahead.
    private func readAhead() throws(DecodeError) {
        // libmpg123's N-to-M synthesis (rates other than 1, 2 or 4 times the output's) carries
        // a resampling phase from the stream's start: not split.
        guard [1, 2, 4].contains(where: { source.sampleRate == sampleRate * $0 }),
              let size = format.byteSize, size <= split.maximumFileBytes else { return }
        var builder = MP3PacketsBuilder(capacity: size)
        var fits = true
        while fits {
            if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
            let next: Fed?
            do { next = try readPacket() }
            catch {
                if error.code == AVCode.exit { throw .cancelled(path: path) }
                aheadFailure = error
                break
            }
            guard let next else { aheadEnded = true; break }
            fits = builder.append(next.bytes, skip: next.skip)
            if fits { packet.unref() } else { held = next }
        }
        let packets = builder.finish()
        // What did not fit is read after the packets that did, in order, as without reading ahead.
        ahead = packets
        guard aheadEnded, let (start, priming) = Self.splitPoint(of: packets, minimumPackets: split.minimumPackets)
        else { return }
        later = MP3LaterRange(packets: packets, priming: (start - priming)..<start, range: start..<packets.count,
                              sourceRate: source.sampleRate, outputRate: sampleRate,
                              maximumBufferedSamples: split.maximumBufferedSamples)
        splitOutcome = .split(packet: start, priming: priming)
    }

    /// Where the later range starts, and how many packets prime its handle (see
    /// `MP3LaterRange`), or nil when the file is not split.
    ///
    /// The first range takes `firstShare` of the bytes (libmpg123's time goes with them,
    /// mostly Huffman decoding).
    static func splitPoint(of packets: MP3Packets, minimumPackets: Int) -> (start: Int, priming: Int)? {
        // Percent. The caller's thread also runs the network on the whole file and hands the
        // samples to the transform: with a 4-minute MP3 alone on two cores, 45 % kept it busy
        // 146 ms of CPU against the second thread's 100 (perf, per thread), 35 % evens them.
        let firstShare = 35
        let count = packets.count
        guard count >= max(minimumPackets, 64) else { return nil }
        let total = packets.entries.reduce(0) { $0 + $1.count }
        var bytes = 0, start = 0
        while start < count && bytes * 100 < total * firstShare { bytes += packets.entries[start].count; start += 1 }
        // A multiple of 8, as the priming is: the synthesis phase (see `MP3LaterRange`).
        start -= start % 8
        // Main data of the priming packets before the last two, counting each packet's header,
        // CRC and side information as the most they take (4 + 2 + 32 bytes): the last two
        // frames must find all theirs (511 bytes at most) in the packets fed before them.
        var priming = 8
        while true {
            guard priming <= start else { return nil }
            let main = packets.entries[(start - priming)..<(start - 2)].reduce(0) { $0 + max(0, $1.count - 38) }
            if main >= 511 { break }
            priming += 8
        }
        // The encoder delay's skip is on the first packets: all of it must be behind the seam.
        guard !packets.entries[(start - priming)...].contains(where: { $0.skipStart > 0 }) else { return nil }
        return (start, priming)
    }

    /// Takes the later range's samples, packet by packet, into `block` until it is full, at
    /// the seam first checking that this handle's packets were regular (`MP3LaterRange`); or
    /// after the range, finishes or goes on in order from where it stopped.
    private func takeLater(_ later: MP3LaterRange, into block: inout [Float]) throws(DecodeError) {
        if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
        if !seamChecked {
            // The seam: this handle has fed every packet before the range, each giving one frame.
            seamChecked = true
            guard !irregular, failures == 0, pendingSkip == 0 else {
                return resumeInOrder(from: later.range.lowerBound, later: later)
            }
        }
        while block.count < AudioDecoder.preferredBlockSize {
            if batch.packetEnds.isEmpty || batchPacket == batch.packetEnds.count {
                let next: MP3LaterRange.Batch?
                do { next = try later.nextBatch { interrupt?.shouldAbort() ?? false } }
                catch { throw .cancelled(path: path) }
                guard let next else { return try endOfLater(later, into: &block) }
                batchStart += batch.packetEnds.count
                batch = next
                batchPacket = 0
            }
            let from = batchPacket == 0 ? 0 : batch.packetEnds[batchPacket - 1]
            block.append(contentsOf: batch.samples[from..<batch.packetEnds[batchPacket]])
            batchPacket += 1
        }
    }

    /// Every batch of the later range taken: it ended complete (the file's end), or stopped
    /// at a packet from which this handle decodes in order.
    private func endOfLater(_ later: MP3LaterRange, into block: inout [Float]) throws(DecodeError) {
        let taken = later.range.lowerBound + batchStart + batch.packetEnds.count
        switch later.end {
        case .complete(let frames)?:
            sentPackets += later.range.count
            decodedFrames += frames
            nextAhead = later.range.upperBound
            self.later = nil
            try finish(into: &block)
        case .stopped(let packet)?:
            precondition(packet == taken, "MPG123Decoder: the later range stopped at \(packet), \(taken) packets taken")
            resumeInOrder(from: packet, later: later)
        case nil:
            preconditionFailure("MPG123Decoder: the later range's batches ran out before its end")
        }
    }

    /// This handle decodes on in order from packet `resumed`, first feeding the later range's
    /// packets before it with their samples dropped (the range gave them), to reach the state
    /// the sequential decoder has there.
    private func resumeInOrder(from resumed: Int, later: MP3LaterRange) {
        later.stop()
        self.later = nil
        discardBefore = resumed
        if case .split(let start, let priming) = splitOutcome {
            splitOutcome = .splitThenSequential(packet: start, priming: priming, resumed: resumed)
        }
    }
}

/// The packets `MP3BandLimiter` has handed on, waiting to be fed, each with its own skip
/// side data; and a copy of the one last taken, which stays valid until the next `take`.
private final class LimitedPackets {
    private var queue: [(bytes: [UInt8], skip: (start: Int, end: Int))] = []
    private var head = 0
    /// Owned: the bytes of the packet last taken.
    private var current = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

    deinit { current.deallocate() }

    var isEmpty: Bool { head == queue.count }

    /// Appends a copy of `bytes` (valid only during the limiter's call).
    func append(_ bytes: UnsafeRawBufferPointer, skip: (start: Int, end: Int)) {
        queue.append((Array(bytes), skip))
    }

    /// The oldest packet; its bytes are valid until the next call.
    func take() -> (bytes: UnsafeRawBufferPointer, skip: (start: Int, end: Int)) {
        precondition(!isEmpty, "LimitedPackets: nothing to take")
        let (bytes, skip) = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        if bytes.count > current.count {
            current.deallocate()
            current = .allocate(byteCount: bytes.count, alignment: 16)
        }
        bytes.withUnsafeBytes { current.copyMemory(from: $0) }
        return (UnsafeRawBufferPointer(rebasing: current[0..<bytes.count]), skip)
    }
}
