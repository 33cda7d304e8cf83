import Foundation
import KeyscanCQT

/// How much pitched sound a track holds, measured on the spectrogram the model sees, so
/// that noise gets `no_key` instead of a confident key the network would make up.
///
/// Pitched sound puts lasting peaks in the constant-Q spectrum at its notes and their
/// harmonics; noise of any colour (white, pink, brown) averages out to a smooth power law.
/// So: average each bin's magnitude |C| = exp(S) − 1 over the whole track; take its log
/// (which makes the measure independent of level); subtract a ±3-semitone moving average
/// of that log spectrum (the envelope); the mean height of what stands above the envelope,
/// in nepers, is the peakiness. Over a few frames, noise's own fluctuations (Rayleigh
/// magnitudes, falling as 1/√frames) look peaky too: their expected contribution,
/// `noiseBias / √frames`, is subtracted, so noise scores about 0 at any length.
public enum Tonality {
    /// Half-width, in bins (24 per octave), of the envelope's moving average: 3 semitones.
    static let envelopeHalfWidth = 6
    /// Noise's peakiness × √frames: 0.20 on average for white, pink and brown noise from
    /// 9 to 3000 frames (2 s to 10 min), 0.18–0.24 over 18 two-second clips.
    static let noiseBias = 0.2

    /// Below this a track is reported as having no tonal content. Calibrated with
    /// `tools/evaluation/tonality_calibration.sh` (2026-11-21): 33 clips of white, pink and brown
    /// noise, 2 s to 10 min, −60 to 0 dBFS, score 0.000–0.014; the 207 real recordings
    /// (data/real) 0.063–0.40, the 20 bench renders 0.16–0.34, the 64 agreement renders
    /// 0.14–0.38, the tests' cadences in all 24 keys (3 s and 8 s) 0.20–0.28. No music is
    /// flagged; 0.03 is over twice the noisiest noise and under half the least tonal music.
    public static let threshold = 0.03

    /// The tonality of a (bins, frames) log(1 + |C|) spectrogram: about 0 for noise,
    /// 0.06–0.4 for music; 0 for an empty or silent one.
    public static func measure(_ spectrogram: Spectrogram) -> Double {
        let bins = spectrogram.bins, frames = spectrogram.frames
        var sums = [Double](repeating: 0, count: bins)
        spectrogram.values.withUnsafeBufferPointer { values in
            for b in 0..<bins {
                for t in 0..<frames { sums[b] += Double(expm1(values[b * frames + t])) }
            }
        }
        return score(magnitudeSums: sums, frames: frames)
    }

    /// The measure from each bin's |C| summed over `frames` frames.
    static func score(magnitudeSums sums: [Double], frames: Int) -> Double {
        let bins = sums.count
        guard bins > 0, frames > 0 else { return 0 }
        // log of each bin's mean |C|; the floor keeps log finite for a bin that stayed at 0.
        let logMean = sums.map { log($0 / Double(frames) + 1e-30) }
        var above = 0.0
        let w = envelopeHalfWidth
        for b in 0..<bins {
            // The envelope at the edges repeats the edge bin, as if the spectrum went on flat.
            var envelope = 0.0
            for k in (b - w)...(b + w) { envelope += logMean[min(max(k, 0), bins - 1)] }
            envelope /= Double(2 * w + 1)
            above += max(0, logMean[b] - envelope)
        }
        let peakiness = above / Double(bins)
        return max(0, peakiness - noiseBias / Double(frames).squareRoot())
    }

    /// The measure over frames that arrive a few at a time, frame-major, as the analyzer
    /// streams them to the network; the last `droppedFrames` are left out, as the model
    /// input leaves them out, so the result is `measure` of the model's input.
    struct Accumulator {
        let bins: Int
        let droppedFrames: Int
        private var sums: [Double]
        private var frames = 0
        /// The latest frames, frame-major, held back until later ones show they are not
        /// among the dropped.
        private var pending: [Float] = []

        init(bins: Int, droppedFrames: Int) {
            self.bins = bins
            self.droppedFrames = droppedFrames
            sums = [Double](repeating: 0, count: bins)
        }

        mutating func add(frameMajor values: [Float]) {
            pending += values
            let ready = pending.count / bins - droppedFrames
            guard ready > 0 else { return }
            for t in 0..<ready {
                for b in 0..<bins { sums[b] += Double(expm1(pending[t * bins + b])) }
            }
            frames += ready
            pending.removeFirst(ready * bins)
        }

        var value: Double { Tonality.score(magnitudeSums: sums, frames: frames) }
    }
}
