import Foundation
import KeyscanCQT
import KeyscanResults

/// A track's tuning, in cents from A4 = 440 Hz, measured on the spectrogram the network
/// sees, frame by frame as it streams (what `librosa.estimate_tuning` does with its own
/// pitch tracker, here on keyscan's constant-Q transform).
///
/// At 24 bins per octave a bin is 50 cents wide, far too coarse to read tuning from
/// directly, but each bin is a Hann-windowed filter whose main lobe spans ±2 bins, so a
/// partial lights up two or three neighbouring bins, and the ratio α of the larger
/// neighbour's magnitude to the peak's gives the partial's position between them: for a
/// Hann window, δ = (2α − 1)/(α + 1) bins towards that neighbour, exact for a steady
/// sinusoid (Grandke 1983; the filters' bandwidths, Q = 34.6, make one bin of spacing one
/// bin of the window's own resolution, to within 0.03 %). Every spectral peak of every
/// frame that stands within 20 dB of the frame's loudest votes, with its magnitude, for
/// its deviation from the nearest equal-tempered semitone in a circular histogram of
/// 1-cent cells; the estimate is the histogram's mode (smoothed over ±5 cents), refined to
/// the weighted circular mean of the votes within ±12 cents of it. The mode, not the
/// mean, because partials above the fourth are not tempered (the 5th is 14 cents flat,
/// the 7th 31), and they spread around the tuning rather than shift it. Bounded memory: the
/// 100 cells.
struct TuningEstimator {
    /// Cells of the histogram: one per cent of a semitone.
    static let cells = 100
    /// Peaks weaker than this fraction of the frame's loudest bin do not vote (−20 dB).
    static let relativeFloor: Float = 0.1
    /// Frames whose loudest bin stays below this |C| are silence or near it.
    static let silentFrame: Float = 1e-4

    let bins: Int
    /// Semitones per bin, and the pitch of bin 0 in semitones from A4.
    let semitonesPerBin: Double
    let firstBinSemitones: Double
    private var histogram = [Double](repeating: 0, count: cells)
    private var magnitudes: [Float]

    init(configuration: CQTConfiguration) {
        bins = configuration.binCount
        semitonesPerBin = 12 / Double(configuration.binsPerOctave)
        firstBinSemitones = 12 * log2(configuration.minimumFrequency / 440)
        magnitudes = [Float](repeating: 0, count: bins)
    }

    /// Adds frames, frame-major log(1 + |C|) as the analyzer streams them to the network.
    mutating func add(frameMajor values: [Float]) {
        let frames = values.count / bins
        for t in 0..<frames {
            var loudest: Float = 0
            for b in 0..<bins {
                magnitudes[b] = expm1(values[t * bins + b])
                loudest = max(loudest, magnitudes[b])
            }
            guard loudest >= Self.silentFrame else { continue }
            let floor = loudest * Self.relativeFloor
            for b in 1..<(bins - 1) {
                let m = magnitudes[b]
                guard m >= floor, m > magnitudes[b - 1], m >= magnitudes[b + 1] else { continue }
                let up = magnitudes[b + 1] >= magnitudes[b - 1]
                let alpha = Double((up ? magnitudes[b + 1] : magnitudes[b - 1]) / m)
                let delta = min(0.5, max(0, (2 * alpha - 1) / (alpha + 1)))
                // A steady partial δ from bin b leaves W(1 + δ)/W(δ) in the far neighbour
                // (at most 0.2); vibrato, chorus, reverb tails or two close partials
                // spread wider, and their α says nothing about a position, only that the
                // energy straddles two bins: such peaks would vote for the midpoint
                // between bins whatever the tuning, so they do not vote.
                let far = Double((up ? magnitudes[b - 1] : magnitudes[b + 1]) / m)
                guard far <= Self.hann(1 + delta) / Self.hann(delta) * Self.shapeTolerance + 0.02 else { continue }
                let position = Double(b) + (up ? delta : -delta)
                vote(semitones: firstBinSemitones + position * semitonesPerBin, weight: Double(m))
            }
        }
    }

    /// How much wider than a steady partial's a peak may be (far-neighbour ratio) and vote.
    static let shapeTolerance = 1.5

    /// |W(d)| of a Hann window, d bins from its centre, relative to W(0).
    static func hann(_ d: Double) -> Double {
        let x = abs(d)
        if x < 1e-9 { return 1 }
        if abs(x - 1) < 1e-9 { return 0.5 }
        return abs(sin(Double.pi * x) / (Double.pi * x) / (1 - x * x))
    }

    /// Adds `weight` at the deviation of `semitones` from the nearest semitone, split
    /// between the two nearest cells so the histogram keeps sub-cent positions.
    private mutating func vote(semitones: Double, weight: Double) {
        let cents = (semitones - semitones.rounded()) * 100   // −50 … 50
        let position = (cents + 100).truncatingRemainder(dividingBy: 100)   // 0 ..< 100
        let cell = Int(position.rounded(.down))
        let fraction = position - Double(cell)
        histogram[cell % Self.cells] += weight * (1 - fraction)
        histogram[(cell + 1) % Self.cells] += weight * fraction
    }

    /// The tuning in −50 ..< 50 cents, or nil if no frame had a peak.
    var estimate: Tuning? {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return nil }
        let n = Self.cells
        // The mode of the histogram smoothed with a ±5-cent triangle.
        var mode = 0, modeValue = -1.0
        for c in 0..<n {
            var smoothed = 0.0
            for d in -5...5 { smoothed += Double(6 - abs(d)) * histogram[(c + d + n) % n] }
            if smoothed > modeValue { (mode, modeValue) = (c, smoothed) }
        }
        // The circular mean of the cells within ±12 cents of it.
        var x = 0.0, y = 0.0
        for d in -12...12 {
            let c = (mode + d + n) % n
            let angle = 2 * Double.pi * Double(mode + d) / Double(n)
            x += histogram[c] * cos(angle)
            y += histogram[c] * sin(angle)
        }
        var cents = atan2(y, x) / (2 * Double.pi) * Double(n)
        cents = (cents + 150).truncatingRemainder(dividingBy: 100) - 50   // −50 ..< 50
        return Tuning(cents: cents)
    }
}
