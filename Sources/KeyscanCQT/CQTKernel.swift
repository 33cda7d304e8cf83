import Foundation

/// The time-domain kernels of one octave, equivalent to librosa's sparse spectral basis.
///
/// librosa computes `C[k, t] = Σ_{j ≤ N/2} B[k, j]·D[j, t]`, where `D` is the FFT of frame `t`
/// and `B` the sparsified FFT of filter `k`. That sum is linear in the frame's samples, so it
/// equals `Σ_m x_t[m]·h[k, m]` with `h[k, m] = Σ_{j ≤ N/2} B[k, j]·e^(−2πijm/N)`: one real
/// matrix product per octave computes librosa's numbers exactly (sparsification included).
/// All of librosa's scale factors (downsampling compensation, `1/√length`) are folded in.
struct OctaveKernel: Sendable {
    let plan: OctavePlan
    /// (2·bins, kernelLength) row-major: row 2r is Re h for bin `plan.bins.lowerBound + r`,
    /// row 2r+1 its Im h. For frame t, column m multiplies sample t·hop − N/2 + m of this
    /// octave's signal (N = kernelLength).
    let weights: [Float]
    var rows: Int { 2 * plan.bins.count }

    init(plan: OctavePlan, weights: [Float]) {
        precondition(weights.count == 2 * plan.bins.count * plan.kernelLength)
        self.plan = plan
        self.weights = weights
    }

    /// Rows 2r and 2r+1 of `plan`'s kernel (bin `plan.bins.lowerBound + r`) into `out`.
    static func buildRow(_ r: Int, plan: OctavePlan, configuration c: CQTConfiguration, fft: FFT,
                         into out: UnsafeMutablePointer<Float>) {
        let n = plan.kernelLength
        let k = plan.bins.lowerBound + r
        let rate = Double(c.sampleRate) / Double(plan.rateDivisor)
        let length = c.filterLengths(atRate: rate)[k]
        let frequency = c.frequencies[k]

        // librosa.filters.wavelet: a Hann-windowed complex exponential of length ≈ L,
        // L1-normalised, centred in N samples, then scaled by L/N.
        let first = Int((-length / 2).rounded(.down)), end = Int((length / 2).rounded(.down))
        let count = end - first
        var real = [Double](repeating: 0, count: n), imag = real
        var l1 = 0.0
        let lpad = (n - count) / 2
        for j in 0..<count {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(j) / Double(count))  // periodic Hann
            let phase = Double(first + j) * 2 * Double.pi * frequency / rate
            real[lpad + j] = w * cos(phase)
            imag[lpad + j] = w * sin(phase)
            l1 += w  // |w·e^(iφ)| = w
        }
        let scale = length / Double(n) / l1
        for j in 0..<n { real[j] *= scale; imag[j] *= scale }

        // Its spectrum, non-negative frequencies only, sparsified like util.sparsify_rows.
        fft.forward(real: &real, imag: &imag)
        let half = n / 2 + 1
        let magnitudes = (0..<half).map { (real[$0] * real[$0] + imag[$0] * imag[$0]).squareRoot() }
        let threshold = sparsityThreshold(magnitudes, quantile: c.sparsity)
        for j in 0..<n where j >= half || magnitudes[j] < threshold { real[j] = 0; imag[j] = 0 }

        // h[m] = Σ_j B[j]·e^(−2πijm/N): a forward FFT of the half spectrum. Scaled by the rate
        // divisor d (√d on the signal — librosa's resample(scale=True) √2 per halving, the
        // decimation's √factor — times √d on the basis, librosa's √(sr/my_sr) or the filters'
        // 1/√length at the reduced rate) and 1/√(filter length at the input rate); times the
        // configuration's magnitude scale.
        fft.forward(real: &real, imag: &imag)
        let gain = c.magnitudeScale * Double(plan.rateDivisor) / c.filterLengths(atRate: Double(c.sampleRate))[k].squareRoot()
        for m in 0..<n {
            out[(2 * r) * n + m] = Float(real[m] * gain)
            out[(2 * r + 1) * n + m] = Float(imag[m] * gain)
        }
    }

    /// The smallest magnitude kept: entries are dropped, smallest first, while their
    /// cumulative share of the row's L1 norm stays below `quantile`.
    static func sparsityThreshold(_ magnitudes: [Double], quantile: Double) -> Double {
        let total = magnitudes.reduce(0, +)
        guard total > 0 else { return 0 }
        let sorted = magnitudes.sorted()
        var cumulative = 0.0
        for m in sorted {
            cumulative += m / total
            if cumulative >= quantile { return m }
        }
        return sorted.last!
    }
}

/// Every octave's kernels for one configuration: built once, shared by all threads.
public final class CQTKernels: Sendable {
    public let configuration: CQTConfiguration
    let octaves: [OctaveKernel]

    public init(configuration: CQTConfiguration = .keyNet) throws(CQTConfigurationError) {
        self.configuration = configuration
        let plans = try configuration.octavePlans()
        let ffts = Dictionary(plans.map { ($0.kernelLength, FFT(size: $0.kernelLength)) }) { a, _ in a }
        // Every row is independent: spread all of them, not whole octaves, over the cores.
        let rows = plans.enumerated().flatMap { o, plan in plan.bins.indices.map { (o, $0 - plan.bins.lowerBound) } }
        let buffers = plans.map { UnsafeMutablePointer<Float>.allocate(capacity: 2 * $0.bins.count * $0.kernelLength) }
        defer { buffers.forEach { $0.deallocate() } }
        nonisolated(unsafe) let targets = buffers
        DispatchQueue.concurrentPerform(iterations: rows.count) { i in
            let (o, r) = rows[i]
            OctaveKernel.buildRow(r, plan: plans[o], configuration: configuration,
                                  fft: ffts[plans[o].kernelLength]!, into: targets[o])
        }
        octaves = zip(plans, buffers).map { plan, buffer in
            OctaveKernel(plan: plan, weights: Array(UnsafeBufferPointer(start: buffer, count: 2 * plan.bins.count * plan.kernelLength)))
        }
    }
}
