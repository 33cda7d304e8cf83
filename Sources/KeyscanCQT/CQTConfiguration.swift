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
    /// The lowest bins computed from the input decimated by soxr, if any; nil for librosa's
    /// own schedule over every bin.
    public var decimation: Decimation?

    /// The lowest `binCount` bins computed from the input decimated `factor`:1,
    /// `√factor · librosa.cqt(soxr.resample(y, sr, sr/factor, 'HQ'), sr=sr/factor,
    /// hop_length=hop/factor, fmin=fmin, n_bins=binCount, …)`, the others
    /// `librosa.cqt(y, sr, hop, fmin=`their lowest frequency`, …)`, over the frames both have
    /// (then `magnitudeScale` on all). √factor puts the decimated bins on the input rate's
    /// scale, as librosa's √2 per halving does. librosa's relative bandwidths of a geometric
    /// sub-range equal the full range's (to 10⁻¹⁵), so every filter keeps its shape; only the
    /// rate it is sampled at changes.
    public struct Decimation: Sendable, Hashable {
        /// Divides the sample rate and the hop.
        public var factor: Int
        /// Bins computed at the reduced rate, counted from the lowest.
        public var binCount: Int

        public init(factor: Int, binCount: Int) {
            self.factor = factor
            self.binCount = binCount
        }
    }

    public init(sampleRate: Int = 44100, hopLength: Int = 8820, minimumFrequency: Double = 65,
                binCount: Int = 105, binsPerOctave: Int = 24, sparsity: Double = 0.01, magnitudeScale: Double = 1,
                decimation: Decimation? = nil) {
        self.sampleRate = sampleRate
        self.hopLength = hopLength
        self.minimumFrequency = minimumFrequency
        self.binCount = binCount
        self.binsPerOctave = binsPerOctave
        self.sparsity = sparsity
        self.magnitudeScale = magnitudeScale
        self.decimation = decimation
    }

    /// KeyNet's transform (openkeyscan-analyzer's `librosa.cqt` call).
    public static let keyNet = CQTConfiguration()

    /// KeyNet's input from a signal at 11.025 kHz, the fast front end: the lower three octaves
    /// (bins 0..<72, 65–508 Hz) from the signal decimated 5:1 to 2205 Hz, the upper 33 bins at
    /// 11.025 kHz,
    ///
    ///     low  = √20 · librosa.cqt(soxr.resample(y, 11025, 2205, 'HQ'), sr=2205, hop_length=441, fmin=65, n_bins=72, bins_per_octave=24)
    ///     high =   2 · librosa.cqt(y, sr=11025, hop_length=2205, fmin=65·2³, n_bins=33, bins_per_octave=24)
    ///
    /// stacked, over the frames both have. The same bins, and the same frame centres (every
    /// 0.2 s from 0), as `keyNet`. Both hops are odd, so librosa computes each part at its own
    /// rate without halving: the top bin's filter reaches 1.34 kHz (Nyquist 5.5 kHz), the low
    /// part's top one 516 Hz (Nyquist 1.1 kHz). The low octaves' kernels are 2048 samples or
    /// shorter instead of up to 8192: the whole transform does 3.7× fewer multiply-adds per
    /// frame, and costs 0.023 s of CPU instead of 0.053 s for 245 s of audio, the 5:1
    /// decimation included.
    /// librosa's magnitudes depend on the input rate as √rate (its filters are normalised by
    /// √(filter length), and its lower octaves gain √2 per halving), so √20 = √(44100/2205) and
    /// 2 = √(44100/11025) put both parts on the 44.1 kHz scale: a sine gives `keyNet`'s
    /// magnitude (to 10⁻³, `ConstantQTransformTests`) and the network its log1p input.
    public static let keyNetFast = CQTConfiguration(sampleRate: 11025, hopLength: 2205, magnitudeScale: 2,
                                                    decimation: Decimation(factor: 5, binCount: 72))

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

/// One octave of bins, computed from the input at `sampleRate / rateDivisor`: librosa's
/// multirate `vqt` halves rate and hop after each octave while the hop is even, and the
/// configuration's `decimation` divides both for the lowest bins.
struct OctavePlan: Sendable, Hashable {
    /// Bins of this octave, indices into the full bin range.
    let bins: Range<Int>
    /// The input's rate over this octave's: 2^halvings, times the decimation factor.
    let rateDivisor: Int
    /// Hop at this octave's rate.
    let hop: Int
    /// Kernel length: the longest filter rounded up to a power of two (librosa's `n_fft`).
    let kernelLength: Int
}

extension CQTConfiguration {
    /// librosa's octave schedule, run on each part `decimation` splits the bins into, upper
    /// part first. Throws for configurations librosa would reject, and for ones where librosa
    /// would downsample early (not needed for KeyNet's input; refused rather than computed
    /// differently).
    func octavePlans() throws(CQTConfigurationError) -> [OctavePlan] {
        guard let decimation else { return try librosaSchedule() }
        let factor = decimation.factor, split = decimation.binCount
        guard factor > 1, (1..<binCount).contains(split) else {
            throw .invalid("decimation by \(factor) of \(split) of \(binCount) bins: need a factor above 1 and some bins left")
        }
        guard sampleRate % factor == 0, hopLength % factor == 0 else {
            throw .invalid("decimation factor \(factor) must divide the sample rate \(sampleRate) and the hop \(hopLength)")
        }
        var high = self, low = self
        high.decimation = nil
        high.minimumFrequency = frequencies[split]
        high.binCount = binCount - split
        low.decimation = nil
        low.sampleRate /= factor
        low.hopLength /= factor
        low.binCount = split
        let plans = try high.librosaSchedule().map {
            OctavePlan(bins: ($0.bins.lowerBound + split)..<($0.bins.upperBound + split), rateDivisor: $0.rateDivisor,
                       hop: $0.hop, kernelLength: $0.kernelLength)
        } + low.librosaSchedule().map {
            OctavePlan(bins: $0.bins, rateDivisor: $0.rateDivisor * factor, hop: $0.hop, kernelLength: $0.kernelLength)
        }
        // ConstantQTransform makes each rate from the next higher one, by an integer factor.
        let divisors = Set(plans.map(\.rateDivisor)).sorted()
        guard zip(divisors, divisors.dropFirst()).allSatisfy({ $1 % $0 == 0 }) else {
            throw .invalid("rate divisors \(divisors) do not each divide the next")
        }
        return plans
    }

    /// librosa's schedule over every bin, from the input rate.
    private func librosaSchedule() throws(CQTConfigurationError) -> [OctavePlan] {
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
        var hop = hopLength, divisor = 1
        for octave in 0..<octaveCount {
            let upper = binCount - binsPerOctave * octave
            let bins = max(0, upper - binsPerOctave)..<upper
            let rate = Double(sampleRate) / Double(divisor)
            let longest = filterLengths(atRate: rate)[bins].max()!
            let kernelLength = 1 << Int(ceil(log2(longest)))
            plans.append(OctavePlan(bins: bins, rateDivisor: divisor, hop: hop, kernelLength: kernelLength))
            if hop % 2 == 0 { hop /= 2; divisor *= 2 }
        }
        return plans
    }
}
