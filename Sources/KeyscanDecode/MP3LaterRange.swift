import Foundation

/// The later range of a split MP3 (`MP3Split`), decoded on a thread of its own by a second
/// libmpg123 handle, made and freed on that thread, while `MPG123Decoder` decodes the first
/// range on the caller's. Its samples wait here, packet by packet, until the caller takes them.
///
/// Why they are the sequential decoder's, bit for bit: a layer III frame's samples depend on
/// the stream before it only through
/// - the bit reservoir: its main data starts up to 511 bytes before its own, in the frames
///   before it;
/// - the IMDCT overlap: the second half of the previous granule's IMDCT;
/// - the synthesis filterbank's history: the previous 15 time slots' subband samples, kept in
///   a ring buffer whose phase (libmpg123's `bo`) steps once a slot, 16 to the turn. The
///   window sum runs over the ring in buffer order, so at another phase it adds the same
///   products in another order, and rounds differently.
/// The handle is fed `priming` packets before the range, their samples dropped: enough that
/// the last two of them (overlap, history) find all their main data in the earlier ones, and
/// a multiple of 8, as the range's first packet is: a frame is 36 slots (MPEG-1) or 18
/// (MPEG-2 and 2.5), so 8 frames turn the ring a whole number of times, and the handle meets
/// the range at the phase the sequential decoder has there, having decoded a multiple of 8
/// frames since its start. That holds only if every packet before gave one frame:
/// `MPG123Decoder` checks at the seam, and decodes on in order itself if not. libmpg123's
/// N-to-M synthesis carries a resampling phase from the stream's start besides, so a file
/// it resamples is not split.
///
/// The range must decode regularly: every packet one frame of the stream's rate with valid
/// side information, within `MPG123Decoder.frameLimit`, no error (the last packet may be a
/// partial frame, as the sequential decoder allows). At the first packet that does not, the
/// thread stops; `end` says where, and the caller decodes from there on in order.
final class MP3LaterRange: @unchecked Sendable {
    // Immutable, read by both threads.
    let packets: MP3Packets
    /// Packets fed first, their samples dropped.
    let priming: Range<Int>
    /// Packets whose samples are kept.
    let range: Range<Int>
    private let sourceRate: Int
    private let outputRate: Int
    private let maximumBufferedSamples: Int

    /// Samples of consecutive packets, with where each packet's end.
    struct Batch: Sendable {
        var samples: [Float] = []
        /// `samples` indices where each packet's samples end, in order.
        var packetEnds: [Int] = []
    }

    enum End: Sendable, Equatable {
        /// Every packet of the range fed; how many gave a frame (all, or all but the last).
        case complete(frames: Int)
        /// The packets before `packet` decoded regularly, and are in the batches; from `packet`
        /// on the caller decodes in order.
        case stopped(packet: Int)
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var bufferedSamples = 0
    private var ending: End?
    private var abandoned = false

    /// Signalled once, when the thread returns.
    private let exited = DispatchSemaphore(value: 0)
    private var joined = false

    /// Starts decoding `range` of `packets` on a new thread, after `priming`.
    init(packets: MP3Packets, priming: Range<Int>, range: Range<Int>, sourceRate: Int, outputRate: Int,
         maximumBufferedSamples: Int) {
        precondition(priming.upperBound == range.lowerBound && range.upperBound <= packets.count)
        self.packets = packets
        self.priming = priming
        self.range = range
        self.sourceRate = sourceRate
        self.outputRate = outputRate
        self.maximumBufferedSamples = maximumBufferedSamples
        let thread = Thread { [self] in
            run()
            exited.signal()
        }
        // libmpg123 decodes in its handle's own buffers: little stack.
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the thread (at its next packet, or out of its wait for room) and waits for it
    /// to return. Every owner calls it before letting go; idempotent.
    func stop() {
        condition.withLock {
            abandoned = true
            condition.broadcast()
        }
        join()
    }

    private func join() {
        guard !joined else { return }
        exited.wait()
        joined = true
    }

    /// The next batch of samples, waiting for it; nil once the thread has ended and every
    /// batch is taken (`end` then says how). Polls `shouldAbort` while it waits, and throws
    /// when it says stop: the caller's cancellation.
    func nextBatch(shouldAbort: () -> Bool) throws(Cancelled) -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && ending == nil {
            // Woken by the thread; every 5 ms to poll the caller's deadline.
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.005))
            if batches.isEmpty && ending == nil && shouldAbort() { throw Cancelled() }
        }
        guard !batches.isEmpty else { return nil }
        let batch = batches.removeFirst()
        bufferedSamples -= batch.samples.count
        condition.broadcast()
        return batch
    }

    struct Cancelled: Error {}

    /// How the thread ended; nil while it runs. Joins it once ended.
    var end: End? {
        let end = condition.withLock { ending }
        if end != nil { join() }
        return end
    }

    // MARK: The thread

    private func run() {
        let handle: MPG123Handle
        do { handle = try MPG123Handle(sourceRate: sourceRate, outputRate: outputRate) }
        catch { return finish(.stopped(packet: range.lowerBound), batch: Batch()) }
        var batch = Batch()
        var frames = 0
        for index in priming.lowerBound..<range.upperBound {
            if condition.withLock({ abandoned }) { return finish(.stopped(packet: range.lowerBound), batch: Batch()) }
            let keep = index >= range.lowerBound
            let before = batch.samples.count
            guard let decoded = decode(index, with: handle, into: &batch.samples, keeping: keep),
                  decoded == 1 || (decoded == 0 && index == range.upperBound - 1)
            else {
                batch.samples.removeSubrange(before...)
                return finish(.stopped(packet: max(index, range.lowerBound)), batch: batch)
            }
            guard keep else { continue }
            frames += decoded
            // The encoder's padding, from the last packet's own samples (as `MPG123Decoder.step`).
            let padding = packets.entries[index].skipEnd * outputRate / sourceRate
            batch.samples.removeLast(min(batch.samples.count - before, padding))
            batch.packetEnds.append(batch.samples.count)
            // About 9,000 samples a batch at 44.1 kHz: few locks, little waiting for the first.
            if batch.packetEnds.count == 32 {
                guard publish(&batch) else { return finish(.stopped(packet: range.lowerBound), batch: Batch()) }
            }
        }
        finish(.complete(frames: frames), batch: batch)
    }

    /// Feeds packet `index` and decodes its frames, appending their samples when `keeping`:
    /// how many frames, or nil for anything irregular.
    private func decode(_ index: Int, with handle: MPG123Handle, into samples: inout [Float], keeping: Bool) -> Int? {
        let entry = packets.entries[index]
        guard entry.headerRate == sourceRate, entry.skipStart == 0 else { return nil }
        do { try handle.feed(packets.bytes(index)) } catch { return nil }
        var frames = 0
        while true {
            let parsed: MPG123Handle.Parsed
            do { parsed = try handle.nextFrame() } catch { return nil }
            switch parsed {
            case .needsInput: return frames
            case .ended: return nil
            case .newFormat(let rate): guard rate == outputRate else { return nil }
            case .frame: break
            }
            guard handle.frameIsValid else { return nil }
            let decoded: UnsafeBufferPointer<Float>
            do { decoded = try handle.decode() } catch { return nil }
            guard !AudioDecoder.anyBeyond(MPG123Decoder.frameLimit, in: decoded) else { return nil }
            frames += 1
            if keeping { samples.append(contentsOf: decoded) }
        }
    }

    /// Hands `batch` over, waiting while the caller has `maximumBufferedSamples` to take;
    /// false when abandoned meanwhile.
    private func publish(_ batch: inout Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while bufferedSamples >= maximumBufferedSamples && !abandoned { condition.wait() }
        guard !abandoned else { return false }
        bufferedSamples += batch.samples.count
        batches.append(batch)
        condition.broadcast()
        batch = Batch()
        batch.samples.reserveCapacity(16_384)
        return true
    }

    private func finish(_ end: End, batch: Batch) {
        condition.withLock {
            if !batch.packetEnds.isEmpty {
                bufferedSamples += batch.samples.count
                batches.append(batch)
            }
            ending = end
            condition.broadcast()
        }
    }
}
