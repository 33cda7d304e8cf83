import Testing
@testable import Keyscan
import KeyscanCQT

/// Noise scores about 0 at any level and length; pitched sound scores far above the threshold.
@Suite struct TonalityTests {
    @Test(arguments: [2.1, 10.0])
    func noiseOfAnyColourIsBelowTheThreshold(seconds: Double) {
        for (name, noise) in [("white", TestSignals.whiteNoise(seconds: seconds)),
                              ("brown", TestSignals.brownNoise(seconds: seconds))] {
            let tonality = Tonality.measure(TestSignals.spectrogram(noise))
            // The calibration (Tonality.threshold) saw noise up to 0.013; half the threshold is the bar here.
            #expect(tonality < Tonality.threshold / 2, "\(name) noise, \(seconds) s: \(tonality)")
        }
    }

    @Test func levelDoesNotMatter() {
        let loud = TestSignals.whiteNoise(seconds: 4, amplitude: 0.9)
        let quiet = loud.map { $0 * 0.001 }  // −60 dB
        let a = Tonality.measure(TestSignals.spectrogram(loud)), b = Tonality.measure(TestSignals.spectrogram(quiet))
        // log(1 + |C|) is not quite linear at full scale, so not exactly equal; 0.005 is a sixth of the threshold.
        #expect(abs(a - b) < 0.005, "\(a) vs \(b)")
        let chord = TestSignals.chord(seconds: 4)
        let c = Tonality.measure(TestSignals.spectrogram(chord))
        let d = Tonality.measure(TestSignals.spectrogram(chord.map { $0 * 0.001 }))
        #expect(abs(c - d) < 0.05 * c, "\(c) vs \(d)")
    }

    @Test func aChordIsTonalEvenUnderNoise() {
        let chord = TestSignals.chord(seconds: 4)
        #expect(Tonality.measure(TestSignals.spectrogram(chord)) > 4 * Tonality.threshold)
        // At about 0 dB SNR the notes still stand out of the noise's smooth spectrum.
        let noisy = zip(chord, TestSignals.whiteNoise(seconds: 4, amplitude: 0.3)).map { $0 + $1 }
        #expect(Tonality.measure(TestSignals.spectrogram(noisy)) > Tonality.threshold)
    }

    @Test func emptyAndSilentSpectrogramsScoreZero() {
        #expect(Tonality.measure(Spectrogram(bins: 105, frames: 0, values: [])) == 0)
        #expect(Tonality.measure(Spectrogram(bins: 105, frames: 20, values: [Float](repeating: 0, count: 2100))) == 0)
    }
}

@Suite struct TonalityAccumulatorTests {
    /// Streamed frame-major a few frames at a time, less the two the model drops, the measure
    /// is that of the model input.
    @Test func streamingGivesTheMeasureOfTheModelInput() {
        let samples = TestSignals.chord(seconds: 5)
        let transform = ConstantQTransform(kernels: TestSignals.kernels)
        transform.append(samples)
        let full = transform.finish()
        var accumulator = Tonality.Accumulator(bins: full.bins, droppedFrames: 2)
        var t = 0
        for size in [1, 5, 3, 40] where t < full.frames {
            let n = min(size, full.frames - t)
            accumulator.add(frameMajor: (t..<(t + n)).flatMap { f in (0..<full.bins).map { full[bin: $0, frame: f] } })
            t += n
        }
        let kept = Spectrogram(bins: full.bins, frames: full.frames - 2,
                               values: (0..<full.bins).flatMap { b in (0..<(full.frames - 2)).map { full[bin: b, frame: $0] } })
        #expect(t == full.frames)
        #expect(abs(accumulator.value - Tonality.measure(kept)) < 1e-12)
        #expect(accumulator.value > Tonality.threshold)
    }
}
