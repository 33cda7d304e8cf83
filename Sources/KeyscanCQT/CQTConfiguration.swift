import Foundation

/// Parameters of the constant-Q transform, as `librosa.cqt` takes them.
///
/// The default is KeyNet's input: 105 bins, 24 per octave from 65 Hz, hop 8820 samples at
/// 44.1 kHz (5 frames/s), Hann windows, `filter_scale` 1, L1 norm, sparsity 0.01.
public struct CQTConfiguration: Sendable, Hashable {
    public var sampleRate: Int
    public var hopLength: Int
    public var minimumFrequency: Double
    public var binCount: Int
    public var binsPerOctave: Int
    /// librosa's `sparsity`: the share of each kernel's spectral L1 mass dropped.
    public var sparsity: Double
    /// Multiplies every magnitude before log(1 + ·); librosa has no such factor (1).
    public var magnitudeScale: Double

    public init(sampleRate: Int = 44100, hopLength: Int = 8820, minimumFrequency: Double = 65,
                binCount: Int = 105, binsPerOctave: Int = 24, sparsity: Double = 0.01, magnitudeScale: Double = 1) {
        self.sampleRate = sampleRate
        self.hopLength = hopLength
        self.minimumFrequency = minimumFrequency
        self.binCount = binCount
        self.binsPerOctave = binsPerOctave
        self.sparsity = sparsity
        self.magnitudeScale = magnitudeScale
    }

    /// KeyNet's transform (openkeyscan-analyzer's `librosa.cqt` call).
    public static let keyNet = CQTConfiguration()

    /// KeyNet's input from a signal at 11.025 kHz, the fast front end:
    /// `2 · librosa.cqt(y, sr=11025, hop_length=2205, fmin=65, n_bins=105, bins_per_octave=24)`.
    /// The same bins, and the same frame centres (every 0.2 s from 0), as `keyNet`. The hop is
    /// odd, so librosa (and this) computes every octave at 11.025 kHz, with no halving at all:
    /// the top bin's filter reaches 1.34 kHz, far below the 5.5 kHz Nyquist frequency.
    /// librosa's magnitudes depend on the input rate as √rate (its filters are normalised by
    /// √(filter length), and its lower octaves gain √2 per halving), so at a quarter of the rate
    /// they come out half those at 44.1 kHz: the factor 2 = √(44100/11025) undoes that, so a
    /// sine gives `keyNet`'s magnitude (to 10⁻⁵, `ConstantQTransformTests`) and the network its
    /// log1p input.
    public static let keyNetFast = CQTConfiguration(sampleRate: 11025, hopLength: 2205, magnitudeScale: 2)

    /// Frames per second of audio.
    public var framesPerSecond: Double { Double(sampleRate) / Double(hopLength) }

    /// Centre frequency of every bin in Hz, lowest first.
    public var frequencies: [Double] {
        (0..<binCount).map { minimumFrequency * pow(2, Double($0) / Double(binsPerOctave)) }
    }

    /// librosa's `_relative_bandwidth`: local octave resolution from neighbouring bins.
    var relativeBandwidths: [Double] {
        let logf = frequencies.map { log2($0) }
        let n = logf.count
        return (0..<n).map { k in
            let bpo: Double
            if k == 0 { bpo = 1 / (logf[1] - logf[0]) }
            else if k == n - 1 { bpo = 1 / (logf[n - 1] - logf[n - 2]) }
            else { bpo = 2 / (logf[k + 1] - logf[k - 1]) }
            let r = pow(2, 2 / bpo)
            return (r - 1) / (r + 1)
        }
    }

    /// Filter length in samples at `rate` for every bin (librosa's `wavelet_lengths`, gamma 0).
    func filterLengths(atRate rate: Double) -> [Double] {
        zip(frequencies, relativeBandwidths).map { f, alpha in (1 / alpha) * rate / f }
    }
}

/// Why a configuration cannot be transformed.
public enum CQTConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case aboveNyquist(highestFilterHz: Double, nyquistHz: Double)

    public var description: String {
        switch self {
        case .invalid(let why): "invalid CQT configuration: \(why)"
        case .aboveNyquist(let f, let n):
            "CQT filters reach \(Int(f)) Hz, above the Nyquist frequency \(Int(n)) Hz: use fewer bins"
        }
    }
}

/// One octave of bins, computed at a rate reduced by `2^halvings`, as librosa's
/// multirate `vqt` does (it halves rate and hop after each octave while the hop is even).
struct OctavePlan: Sendable, Hashable {
    /// Bins of this octave, indices into the full bin range.
    let bins: Range<Int>
    /// How many 2:1 downsamplings separate this octave's signal from the input.
    let halvings: Int
    /// Hop at this octave's rate.
    let hop: Int
    /// Kernel length: the longest filter rounded up to a power of two (librosa's `n_fft`).
    let kernelLength: Int
}

extension CQTConfiguration {
    /// librosa's octave schedule. Throws for configurations librosa would reject, and for
    /// ones where librosa would downsample early (not needed for KeyNet's input; refused
    /// rather than computed differently).
    func octavePlans() throws(CQTConfigurationError) -> [OctavePlan] {
        guard sampleRate > 0, hopLength > 0, minimumFrequency > 0, binsPerOctave > 0, binCount > 1 else {
            throw .invalid("sample rate, hop, minimum frequency and bins per octave must be positive, with at least 2 bins")
        }
        guard (0..<1).contains(sparsity) else { throw .invalid("sparsity \(sparsity) outside [0, 1)") }
        let alphas = relativeBandwidths
        let hannBandwidth = 1.50018310546875  // librosa.filters.window_bandwidth("hann")
        let cutoff = zip(frequencies, alphas).map { f, a in f * (1 + 0.5 * hannBandwidth * a) }.max()!
        let nyquist = Double(sampleRate) / 2
        guard cutoff <= nyquist else { throw .aboveNyquist(highestFilterHz: cutoff, nyquistHz: nyquist) }

        let octaveCount = (binCount + binsPerOctave - 1) / binsPerOctave
        let twos = hopLength.trailingZeroBitCount
        let earlyFromBandwidth = max(0, Int(ceil(log2(nyquist / cutoff))) - 2)
        if min(earlyFromBandwidth, max(0, twos - octaveCount + 1)) > 0 {
            throw .invalid("hop \(hopLength) would make librosa downsample before the first octave; not supported")
        }

        var plans: [OctavePlan] = []
        var hop = hopLength, halvings = 0
        for octave in 0..<octaveCount {
            let upper = binCount - binsPerOctave * octave
            let bins = max(0, upper - binsPerOctave)..<upper
            let rate = Double(sampleRate) / Double(1 << halvings)
            let longest = filterLengths(atRate: rate)[bins].max()!
            let kernelLength = 1 << Int(ceil(log2(longest)))
            plans.append(OctavePlan(bins: bins, halvings: halvings, hop: hop, kernelLength: kernelLength))
            if hop % 2 == 0 { hop /= 2; halvings += 1 }
        }
        return plans
    }
}
