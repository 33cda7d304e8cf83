import Dispatch
import Foundation

/// Streams mono samples through the constant-Q transform and returns `log(1 + |C|)`,
/// numerically librosa's `cqt` (see `OctaveKernel`).
///
/// The caller's thread appends samples and runs the downsamplers (soxr, one per reduced
/// rate the octaves need: 2:1 halvings for librosa's schedule, 5:1 for the fast front end's
/// low octaves); every `framesPerChunk` frames a chunk is handed to the global concurrent
/// queue, where one matrix product per octave computes it. Decoding thus overlaps the
/// transform, and one long file uses every core. At most `maxChunksInFlight` chunks wait at
/// once, so memory does not grow with the input; only the spectrogram itself (105 floats per
/// 0.2 s) does.
public final class ConstantQTransform {
    public let kernels: CQTKernels
    private let plans: [OctavePlan]
    /// levels[o]: the index into `signals` of octave o's signal.
    private let levels: [Int]
    private let framesPerChunk: Int
    /// signals[l]: the input at its rate over the l-th smallest of the plans' rate divisors
    /// (l = 0 is the input itself); each made from the one before by `decimators[l − 1]`.
    private var signals: [SampleBuffer]
    private let decimators: [Decimator]
    private var nextFrame = 0
    /// Frames already handed out by `takeComputedFrames`.
    private var takenFrames = 0
    private var finished = false
    private let results = ChunkResults()
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore

    /// Total samples appended so far.
    public private(set) var sampleCount = 0

    public init(kernels: CQTKernels, framesPerChunk: Int = 32, maxChunksInFlight: Int? = nil) {
        self.kernels = kernels
        plans = kernels.octaves.map(\.plan)
        self.framesPerChunk = max(1, framesPerChunk)
        // octavePlans() checks that each divisor divides the next.
        let divisors = Set([1] + plans.map(\.rateDivisor)).sorted()
        levels = plans.map { divisors.firstIndex(of: $0.rateDivisor)! }
        signals = Array(repeating: SampleBuffer(), count: divisors.count)
        decimators = zip(divisors, divisors.dropFirst()).map { Decimator(factor: $1 / $0) }
        slots = DispatchSemaphore(value: maxChunksInFlight ?? max(2, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// A transform abandoned mid-file (the file timed out or failed to decode) still has
    /// chunks on the workers; wait for them, so no work of a finished file outlives it.
    /// At most `maxChunksInFlight` chunks of milliseconds each.
    deinit { group.wait() }

    /// Appends samples at the configuration's sample rate.
    public func append(_ samples: UnsafeBufferPointer<Float>) {
        precondition(!finished, "ConstantQTransform: append after finish")
        sampleCount += samples.count
        signals[0].append(contentsOf: samples)
        // Each level feeds the next: 44.1 → 22.05 → 11.025 kHz (exact), 11.025 → 2.205 kHz (fast).
        if !decimators.isEmpty {
            var lower = downsample(samples, level: 0)
            for level in decimators.indices.dropFirst() {
                lower = lower.withUnsafeBufferPointer { downsample($0, level: level) }
            }
        }
        dispatchReadyChunks(upTo: framesReady(), final: false)
    }

    public func append(_ samples: [Float]) {
        samples.withUnsafeBufferPointer { append($0) }
    }

    /// Decimates `input` into `signals[level + 1]`; returns what it added, for the next level.
    private func downsample(_ input: UnsafeBufferPointer<Float>, level: Int) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(input.count / decimators[level].factor + 1)
        decimators[level].process(input, appendingTo: &output)
        signals[level + 1].append(contentsOf: output)
        return output
    }

    /// Flushes the downsamplers, transforms the remaining frames and waits for every chunk.
    /// Frame count as librosa's: the fewest any octave has, `1 + length // hop` each, less
    /// `droppingLastFrames` (openkeyscan drops two, mostly centre padding, before the model).
    public func finish(droppingLastFrames dropped: Int = 0) -> Spectrogram {
        precondition(takenFrames == 0, "ConstantQTransform: finish after takeComputedFrames; use finishTakingFrames")
        let total = flushAndWait()
        return results.assemble(frames: max(0, total - dropped), bins: kernels.configuration.binCount)
    }

    /// The frames computed since the last call, in order, frame-major: (frames, bins), frame
    /// t's bin b at `t * bins + b`. For a consumer that keeps only a window of the track
    /// (`KeyNetStream`), so that nothing holds the whole spectrogram; empty while the next
    /// frame is still on a worker. Once used, end with `finishTakingFrames`, not `finish`.
    public func takeComputedFrames() -> [Float] {
        let frames = results.take(from: takenFrames, bins: kernels.configuration.binCount)
        takenFrames += frames.count / kernels.configuration.binCount
        return frames
    }

    /// Ends the input as `finish` does, and returns the frames not taken yet, frame-major,
    /// with the track's frame count (`finish`'s, before any dropped).
    public func finishTakingFrames() -> (frames: [Float], total: Int) {
        let total = flushAndWait()
        let rest = takeComputedFrames()
        precondition(takenFrames == total, "ConstantQTransform: \(takenFrames) of \(total) frames taken")
        return (rest, total)
    }

    /// Flushes the downsamplers, dispatches the last chunks, waits for every chunk; the
    /// frame count.
    private func flushAndWait() -> Int {
        precondition(!finished, "ConstantQTransform: finish called twice")
        finished = true
        var carried: [Float] = []  // the previous level's last samples, not yet fed onward
        for (level, decimator) in decimators.enumerated() {
            var tail: [Float] = []
            carried.withUnsafeBufferPointer { decimator.process($0, appendingTo: &tail) }
            decimator.finish(appendingTo: &tail)
            signals[level + 1].append(contentsOf: tail)
            carried = tail
        }
        let total = zip(plans, levels).map { plan, level in 1 + signals[level].end / plan.hop }.min() ?? 0
        dispatchReadyChunks(upTo: total, final: true)
        group.wait()
        return total
    }

    /// Seconds of CPU time the chunk workers have spent, summed over threads.
    public var transformSeconds: Double { results.busySeconds }

    /// Frames whose every octave window lies within the samples received so far.
    private func framesReady() -> Int {
        zip(plans, levels).map { plan, level in
            let available = signals[level].end - plan.kernelLength / 2
            return available < 0 ? 0 : available / plan.hop + 1
        }.min() ?? 0
    }

    private func dispatchReadyChunks(upTo ready: Int, final: Bool) {
        while ready - nextFrame >= framesPerChunk || final && nextFrame < ready {
            let count = min(framesPerChunk, ready - nextFrame)
            dispatch(ChunkInput(firstFrame: nextFrame, frameCount: count, plans: plans, levels: levels, signals: signals))
            nextFrame += count
        }
        for level in signals.indices {
            let needed = zip(plans, levels).filter { $1 == level }.map { plan, _ in nextFrame * plan.hop - plan.kernelLength / 2 }.min()
            if let needed { signals[level].discard(before: needed) }
        }
    }

    private func dispatch(_ input: ChunkInput) {
        slots.wait()
        let kernels = kernels, results = results, slots = slots
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            let start = ContinuousClock.now
            let frames = input.transform(with: kernels)
            results.store(frames, at: input.firstFrame, busy: ContinuousClock.now - start)
            slots.signal()
        }
    }
}
