import Foundation
import KeyscanCQT
import KeyscanResults
import Testing
@testable import Keyscan

/// The tuning estimate from the transform's peaks, on tones of known pitch.
@Suite struct TuningEstimatorTests {
    /// `notes` (MIDI numbers) detuned by `cents`, each with 4 harmonics, sounding together.
    static func tones(_ notes: [Int], cents: Double, seconds: Double = 6) -> [Float] {
        let rate = Double(TestSignals.rate)
        return (0..<Int(seconds * rate)).map { i in
            let t = Double(i) / rate
            var x = 0.0
            for note in notes {
                let f = 440 * pow(2, (Double(note - 69) + cents / 100) / 12)
                for h in 1...4 { x += 0.1 / Double(h) * sin(2 * .pi * f * Double(h) * t) }
            }
            return Float(x)
        }
    }

    static func estimate(_ samples: [Float]) -> Tuning? {
        let spectrogram = TestSignals.spectrogram(samples)
        var estimator = TuningEstimator(configuration: .keyNet)
        let frameMajor = (0..<spectrogram.frames).flatMap { t in (0..<spectrogram.bins).map { spectrogram[bin: $0, frame: t] } }
        estimator.add(frameMajor: frameMajor)
        return estimator.estimate
    }

    /// Within 2 cents over the range, from any octave: the Hann-ratio interpolation is
    /// exact for a steady sinusoid up to the filters' slightly different lengths.
    @Test(arguments: [-45.0, -30, -10, 0, 7, 20, 30, 44])
    func findsTheDetuneOfAChord(cents: Double) throws {
        let tuning = try #require(Self.estimate(Self.tones([45, 57, 60, 64, 76], cents: cents)))
        #expect(abs(tuning.cents - cents) <= 2, "\(tuning.cents) for \(cents)")
        #expect(abs(tuning.referenceHz - 440 * pow(2, cents / 1200)) < 0.6)
    }

    /// ±50 cents is the same tuning seen from the two neighbouring semitones.
    @Test func halfASemitoneWrapsAround() throws {
        let tuning = try #require(Self.estimate(Self.tones([57, 64], cents: 50)))
        #expect(50 - abs(tuning.cents) <= 2, "\(tuning.cents)")
    }

    @Test func silenceHasNoTuning() {
        #expect(Self.estimate([Float](repeating: 0, count: 3 * TestSignals.rate)) == nil)
    }

    @Test func a432IsMinus32Cents() {
        #expect(abs(Tuning(cents: 1200 * log2(432.0 / 440)).referenceHz - 432) < 1e-9)
    }
}
