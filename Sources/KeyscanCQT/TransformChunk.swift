import COpenBLAS
import Foundation

/// The samples one chunk of frames needs, copied out of the stream so workers never touch it.
struct ChunkInput: Sendable {
    let firstFrame: Int
    let frameCount: Int
    /// windows[o]: the samples octave o's frames read. Where frames overlap (hop < N), the
    /// span from firstFrame·hop − N/2, (frameCount−1)·hop + N samples, frame t starting at
    /// t·hop; where they do not, just the frames, N samples each, frame t at t·N.
    let windows: [[Float]]

    /// levels[o]: the index into `signals` of octave o's signal.
    init(firstFrame: Int, frameCount: Int, plans: [OctavePlan], levels: [Int], signals: [SampleBuffer]) {
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        windows = zip(plans, levels).map { plan, level in
            let n = plan.kernelLength
            let signal = signals[level]
            if plan.hop < n {
                let count = (frameCount - 1) * plan.hop + n
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    signal.copy(from: firstFrame * plan.hop - n / 2, count: count, into: buffer)
                    initialized = count
                }
            }
            return [Float](unsafeUninitializedCapacity: frameCount * n) { buffer, initialized in
                for t in 0..<frameCount {
                    signal.copy(from: (firstFrame + t) * plan.hop - n / 2, count: n,
                                into: UnsafeMutableBufferPointer(rebasing: buffer[(t * n)..<((t + 1) * n)]))
                }
                initialized = frameCount * n
            }
        }
    }

    /// Distance between consecutive frames in `windows` for `plan`.
    static func frameStride(_ plan: OctavePlan) -> Int { min(plan.hop, plan.kernelLength) }

    /// (frameCount, bins) frame-major `log(1 + |C|)`.
    func transform(with kernels: CQTKernels) -> [Float] {
        let bins = kernels.configuration.binCount
        var out = [Float](repeating: 0, count: frameCount * bins)
        for (octave, window) in zip(kernels.octaves, windows) {
            let rows = octave.rows
            var products = [Float](repeating: 0, count: rows * frameCount)  // (rows, frameCount) column-major
            multiply(octave, window, into: &products)
            let first = octave.plan.bins.lowerBound
            for t in 0..<frameCount {
                for r in 0..<rows / 2 {
                    let re = products[t * rows + 2 * r], im = products[t * rows + 2 * r + 1]
                    out[t * bins + first + r] = log1p((re * re + im * im).squareRoot())
                }
            }
        }
        return out
    }

    /// products(rows, frames) = H(rows, N) · X(N, frames), X's column t being frame t's
    /// samples. X is read in place from `window` with leading dimension `stride`; BLAS needs
    /// that to be at least the rows it reads, so N is split into segments no longer than it.
    private func multiply(_ octave: OctaveKernel, _ window: [Float], into products: inout [Float]) {
        let n = octave.plan.kernelLength, hop = Self.frameStride(octave.plan), rows = octave.rows
        let segments = (n + hop - 1) / hop
        let segmentLength = (n + segments - 1) / segments
        octave.weights.withUnsafeBufferPointer { h in
            window.withUnsafeBufferPointer { x in
                products.withUnsafeMutableBufferPointer { c in
                    for s in 0..<segments {
                        let offset = s * segmentLength
                        let length = min(segmentLength, n - offset)
                        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans,
                                    Int32(rows), Int32(frameCount), Int32(length),
                                    1, h.baseAddress! + offset, Int32(n),
                                    x.baseAddress! + offset, Int32(hop),
                                    s == 0 ? 0 : 1, c.baseAddress!, Int32(rows))
                    }
                }
            }
        }
    }
}

/// Chunk outputs as workers finish them, in any order.
final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [Int: [Float]] = [:]
    private var busy = Duration.zero

    func store(_ frames: [Float], at firstFrame: Int, busy elapsed: Duration) {
        lock.withLock {
            chunks[firstFrame] = frames
            busy += elapsed
        }
    }

    var busySeconds: Double {
        lock.withLock { Double(busy.components.seconds) + Double(busy.components.attoseconds) * 1e-18 }
    }

    /// The chunks that follow on from frame `first` without a gap, removed and joined
    /// frame-major: (frames, bins).
    func take(from first: Int, bins: Int) -> [Float] {
        lock.withLock {
            var joined: [Float] = []
            var next = first
            while let chunk = chunks.removeValue(forKey: next) {
                joined += chunk
                next += chunk.count / bins
            }
            return joined
        }
    }

    /// The (bins, frames) spectrogram of the first `total` frames, from the frame-major
    /// chunks; each chunk is released once copied, so the two never both fill memory.
    func assemble(frames total: Int, bins: Int) -> Spectrogram {
        lock.withLock {
            var values = [Float](repeating: 0, count: bins * total)
            for first in chunks.keys.sorted() {
                let chunk = chunks.removeValue(forKey: first)!
                let count = chunk.count / bins
                for t in 0..<count where first + t < total {
                    for b in 0..<bins { values[b * total + first + t] = chunk[t * bins + b] }
                }
            }
            return Spectrogram(bins: bins, frames: total, values: values)
        }
    }
}
