import Foundation
import Testing
@testable import KeyscanCQT

/// A golden fixture written by tools/fixtures/make_cqt_fixture.py from librosa.
struct CQTFixture: Decodable {
    struct Tone: Decodable { let freq, amp, phase, start, end: Double }
    struct Noise: Decodable { let amp: Double; let seed: UInt32 }
    struct Recipe: Decodable { let length: Int; let tones: [Tone]; let noise: Noise? }
    let recipe: Recipe
    let sampleRate: Int
    let bins: Int
    let frames: Int
    let values: [Float]

    enum CodingKeys: String, CodingKey { case recipe, sampleRate = "sample_rate", bins, frames, values }

    static func load(_ name: String) throws -> CQTFixture {
        let url = try #require(Bundle.module.url(forResource: "cqt-\(name)", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(CQTFixture.self, from: Data(contentsOf: url))
    }

    /// The recipe's samples, computed as the Python script does (float64, then float32).
    var samples: [Float] {
        let rate = Double(sampleRate)
        var y = [Double](repeating: 0, count: recipe.length)
        for tone in recipe.tones {
            let a = Int(tone.start * rate), b = min(recipe.length, Int(tone.end * rate))
            for i in a..<max(a, b) { y[i] += tone.amp * sin(2 * .pi * tone.freq * (Double(i) / rate) + tone.phase) }
        }
        if let noise = recipe.noise {
            var x = noise.seed
            for i in 0..<recipe.length {
                x = 1664525 &* x &+ 1013904223
                y[i] += noise.amp * (Double(x) / 4294967296.0 * 2 - 1)
            }
        }
        return y.map { Float($0) }
    }
}

let sharedKernels = try! CQTKernels()
let fastKernels = try! CQTKernels(configuration: .keyNetFast)

func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

func largestDifference(_ a: Spectrogram, _ b: Spectrogram) -> Float {
    largestDifference(a.values, b.values)
}

func transform(_ samples: [Float], blockSize: Int = 44100, framesPerChunk: Int = 32,
               kernels: CQTKernels = sharedKernels) -> Spectrogram {
    let cqt = ConstantQTransform(kernels: kernels, framesPerChunk: framesPerChunk)
    var start = 0
    while start < samples.count {
        let end = min(samples.count, start + blockSize)
        samples[start..<end].withUnsafeBufferPointer { cqt.append($0) }
        start = end
    }
    return cqt.finish()
}

@Suite struct ConstantQTransformTests {
    /// librosa computes in complex64 (float32 FFTs of up to 8192 points) and we in float32
    /// matrix products over the same 8192 samples, from kernels built in double precision:
    /// both carry rounding of order 1e-6 relative on |C| ≤ ~15, so log1p values agree to
    /// ~1e-5. 2e-4 leaves margin for that, and for soxr's float32 downsampling, while the
    /// mistakes this guards against (a kernel a sample off-centre, a wrong sparsity
    /// threshold, a missing scale factor) move values by 1e-3 to 1.
    static let tolerance: Float = 2e-4

    @Test(arguments: ["chord", "short", "noise"])
    func matchesLibrosa(fixture name: String) throws {
        let fixture = try CQTFixture.load(name)
        let ours = transform(fixture.samples)
        #expect(ours.bins == fixture.bins)
        #expect(ours.frames == fixture.frames)
        guard ours.frames == fixture.frames else { return }
        let worst = largestDifference(ours.values, fixture.values)
        print("cqt-\(name): largest |ours − librosa| = \(worst)")
        #expect(worst < Self.tolerance)
    }

    /// The fast front end's transform of the same recipes synthesised at 11.025 kHz: bins
    /// 0..<72 by `√20 · librosa.cqt` of python-soxr's 5:1 decimation at 2205 Hz, the rest by
    /// `2 · librosa.cqt` at 11.025 kHz. Same tolerance: float32 products over kernels of up
    /// to 2048 samples, and the same soxr computing the same decimated samples.
    @Test(arguments: ["chord", "short", "noise"])
    func fastConfigurationMatchesLibrosaAtQuarterRate(fixture name: String) throws {
        let fixture = try CQTFixture.load("fast-\(name)")
        #expect(fixture.sampleRate == 11025)
        let ours = transform(fixture.samples, blockSize: 11025, kernels: fastKernels)
        #expect(ours.bins == fixture.bins)
        #expect(ours.frames == fixture.frames)
        guard ours.frames == fixture.frames else { return }
        let worst = largestDifference(ours.values, fixture.values)
        print("cqt-fast-\(name): largest |ours − librosa| = \(worst)")
        #expect(worst < Self.tolerance)
    }

    /// The network sees log(1 + |C|), so the fast transform's magnitudes must be the exact
    /// one's: a sine in each octave, at 44.1 kHz and at 11.025 kHz, peaks in the same bin
    /// with the same |C| (to 10⁻³ relative; 6.8·10⁻⁴ measured at 440 Hz, where a filter of
    /// about 173 samples at 2205 Hz is rounded to whole samples, 1.5·10⁻⁴ at 1250 Hz, below
    /// 10⁻⁴ in the lowest octave; without the factors √20 and 2 it would be 1/√20 and 1/2 of it),
    /// over the same number of frames. 500 and 530 Hz sit either side of the split at 508 Hz.
    @Test(arguments: [70.0, 155.0, 440.0, 500.0, 530.0, 900.0, 1250.0])
    func fastMagnitudesMatchExactOnes(frequency: Double) {
        func tone(_ rate: Int) -> [Float] {
            (0..<(6 * rate + 123 * rate / 11025)).map { Float(0.5 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
        }
        let exact = transform(tone(44100)), fast = transform(tone(11025), blockSize: 11025, kernels: fastKernels)
        #expect(exact.frames == fast.frames)
        let frame = exact.frames / 2
        let peak = (0..<exact.bins).max { exact[bin: $0, frame: frame] < exact[bin: $1, frame: frame] }!
        let fastPeak = (0..<fast.bins).max { fast[bin: $0, frame: frame] < fast[bin: $1, frame: frame] }!
        #expect(peak == fastPeak)
        let a = expm1(exact[bin: peak, frame: frame]), b = expm1(fast[bin: peak, frame: frame])
        #expect(abs(a - b) / a < 1e-3, "\(frequency) Hz: |C| \(a) exact, \(b) fast")
    }

    /// However the audio arrives and however the frames are grouped for the workers, the
    /// result is the same up to float rounding (BLAS blocks products of different widths
    /// differently; soxr releases samples at different times but computes the same ones).
    @Test(arguments: ["chord", "fast-chord", "fast-short"])
    func blockAndChunkSizesDoNotChangeTheResult(fixture name: String) throws {
        let fixture = try CQTFixture.load(name)
        let kernels = fixture.sampleRate == 11025 ? fastKernels : sharedKernels
        let samples = fixture.samples
        let reference = transform(samples, blockSize: samples.count, kernels: kernels)
        for (block, chunk) in [(1, 3), (1017, 1), (300_000, 7), (4096, 64)] where block > 1 || samples.count < 10_000 {
            let other = transform(samples, blockSize: block, framesPerChunk: chunk, kernels: kernels)
            #expect(other.frames == reference.frames)
            #expect(largestDifference(other, reference) < 1e-5, "\(name): blocks of \(block), chunks of \(chunk)")
        }
    }

    /// The model input drops the last two frames; the rest is the same transform.
    @Test func droppingFramesKeepsTheOthers() throws {
        let samples = try CQTFixture.load("chord").samples
        let full = transform(samples)
        let cqt = ConstantQTransform(kernels: sharedKernels)
        samples.withUnsafeBufferPointer { cqt.append($0) }
        let dropped = cqt.finish(droppingLastFrames: 2)
        #expect(dropped.frames == full.frames - 2)
        for b in [0, 50, 104] {
            #expect((0..<dropped.frames).allSatisfy { dropped[bin: b, frame: $0] == full[bin: b, frame: $0] })
        }
    }

    /// Frames taken as they are computed (for the streaming network) are exactly `finish`'s,
    /// in order, each once, frame-major.
    @Test(arguments: ["chord", "fast-chord"])
    func framesTakenAlongTheWayAreFinishsFrames(fixture name: String) throws {
        let fixture = try CQTFixture.load(name)
        let kernels = fixture.sampleRate == 11025 ? fastKernels : sharedKernels
        let samples = fixture.samples
        let reference = transform(samples, blockSize: 4096, framesPerChunk: 4, kernels: kernels)
        let cqt = ConstantQTransform(kernels: kernels, framesPerChunk: 4)
        var taken: [Float] = []
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + 4096)
            samples[start..<end].withUnsafeBufferPointer { cqt.append($0) }
            taken += cqt.takeComputedFrames()
            start = end
        }
        #expect(!taken.isEmpty, "frames come out before the end")
        let (rest, total) = cqt.finishTakingFrames()
        taken += rest
        #expect(total == reference.frames)
        #expect(taken.count == reference.bins * reference.frames)
        let bins = reference.bins
        let mismatched = (0..<total).filter { t in (0..<bins).contains { taken[t * bins + $0] != reference[bin: $0, frame: t] } }
        #expect(mismatched.isEmpty, "frames \(mismatched.prefix(5))")
    }

    @Test func sinePeaksInItsBin() {
        // Bin k is centred on 65·2^(k/24) Hz; 440 Hz lies 66.2 bins above 65 Hz.
        let samples = (0..<(3 * 44100)).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 44100)) }
        let spec = transform(samples)
        let frame = spec.frames / 2
        let loudest = (0..<spec.bins).max { spec[bin: $0, frame: frame] < spec[bin: $1, frame: frame] }
        #expect(loudest == 66)
    }

    /// Past a minute the stream buffers start dropping consumed samples (past 30 s at
    /// 2205 Hz); every octave must still find the samples its longer or shorter kernels need.
    @Test(arguments: [44100, 11025])
    func longInputKeepsEveryFrameRight(sampleRate rate: Int) {
        let samples = (0..<(75 * rate)).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let spec = transform(samples, blockSize: 8191, kernels: rate == 44100 ? sharedKernels : fastKernels)
        #expect(spec.frames == 376)
        let misplaced = (2..<(spec.frames - 2)).filter { t in
            (0..<spec.bins).max { spec[bin: $0, frame: t] < spec[bin: $1, frame: t] } != 66
        }
        #expect(misplaced.isEmpty)
    }

    @Test func silenceIsZero() {
        let spec = transform([Float](repeating: 0, count: 44100))
        #expect(spec.frames == 6)
        #expect(spec.values.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [false, true])
    func emptyInputHasOneFrame(fast: Bool) {
        // librosa: 1 + len // hop frames, all centre padding; 1 + 0 // 441 below the split.
        let spec = transform([], kernels: fast ? fastKernels : sharedKernels)
        #expect(spec.frames == 1)
        #expect(spec.values.allSatisfy { $0 == 0 })
    }

    @Test func rejectsFiltersAboveNyquist() {
        #expect(throws: CQTConfigurationError.self) {
            try CQTKernels(configuration: CQTConfiguration(sampleRate: 2000))
        }
    }

    @Test func octaveScheduleFollowsLibrosa() throws {
        // hop 8820 = 4·2205: librosa halves rate and hop twice, then stays at 11025 Hz.
        let plans = try CQTConfiguration.keyNet.octavePlans()
        #expect(plans.map(\.rateDivisor) == [1, 2, 4, 4, 4])
        #expect(plans.map(\.hop) == [8820, 4410, 2205, 2205, 2205])
        #expect(plans.map(\.kernelLength) == [4096, 4096, 4096, 8192, 8192])
        #expect(plans.map(\.bins) == [81..<105, 57..<81, 33..<57, 9..<33, 0..<9])
    }

    @Test func fastScheduleDecimatesTheLowOctaves() throws {
        // Hops 2205 and 441 are odd: librosa would not halve either part. The upper 33 bins
        // at 11025 Hz, the lower 72 at 2205 Hz, with kernels a quarter of the 8192 samples
        // the lowest bins would need at 11025 Hz.
        let plans = try CQTConfiguration.keyNetFast.octavePlans()
        #expect(plans.map(\.rateDivisor) == [1, 1, 5, 5, 5])
        #expect(plans.map(\.hop) == [2205, 2205, 441, 441, 441])
        #expect(plans.map(\.kernelLength) == [1024, 1024, 512, 1024, 2048])
        #expect(plans.map(\.bins) == [81..<105, 72..<81, 48..<72, 24..<48, 0..<24])
        #expect(CQTConfiguration.keyNetFast.framesPerSecond == CQTConfiguration.keyNet.framesPerSecond)
    }

    @Test func rejectsDecimationThatDoesNotDivideTheHop() {
        #expect(throws: CQTConfigurationError.self) {
            try CQTKernels(configuration: CQTConfiguration(sampleRate: 11025, hopLength: 2205,
                                                           decimation: .init(factor: 2, binCount: 72)))
        }
    }
}
