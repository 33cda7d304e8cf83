import Foundation
import KeyscanTestSupport
import KeyscanCQT

/// Signals with known tonality, and the files the analyzer tests read.
enum TestSignals {
    static let rate = 44100

    /// White noise from a fixed seed (SplitMix64 → uniform in [−1, 1)), scaled to `amplitude`.
    static func whiteNoise(seconds: Double, amplitude: Float = 0.5, seed: UInt64 = 1) -> [Float] {
        var state = seed
        return (0..<Int(seconds * Double(rate))).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return amplitude * (Float(z >> 40) / Float(1 << 23) - 1)
        }
    }

    /// Brown noise: white noise integrated, with a slight leak so it stays bounded.
    static func brownNoise(seconds: Double, amplitude: Float = 0.5, seed: UInt64 = 2) -> [Float] {
        var y: Float = 0
        let integrated = whiteNoise(seconds: seconds, amplitude: 1, seed: seed).map { x -> Float in
            y = 0.998 * y + 0.02 * x
            return y
        }
        let peak = integrated.map(abs).max() ?? 1
        return integrated.map { amplitude * $0 / peak }
    }

    /// An A minor triad (A3, C4, E4) with three harmonics each.
    static func chord(seconds: Double, amplitude: Double = 0.1) -> [Float] {
        let notes = [220.0, 261.63, 329.63]
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            var x = 0.0
            for f in notes { for h in 1...3 { x += amplitude / Double(h) * sin(2 * .pi * f * Double(h) * t) } }
            return Float(x)
        }
    }

    /// The model's input for `samples`, as the analyzer computes it (less the two dropped frames).
    static func spectrogram(_ samples: [Float]) -> Spectrogram {
        let transform = ConstantQTransform(kernels: kernels)
        transform.append(samples)
        return transform.finish(droppingLastFrames: 2)
    }

    /// Built once for all tests; the shipped configuration is valid (KeyscanCQTTests check it).
    static let kernels = try! CQTKernels(configuration: .keyNet)
}

/// A mono 32-bit float WAV file.
func writeWAV(_ url: URL, _ samples: [Float], rate: Int = TestSignals.rate) throws {
    var data = Data()
    func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + samples.count * 4))
    data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(3)); append(UInt16(1))
    append(UInt32(rate)); append(UInt32(rate * 4)); append(UInt16(4)); append(UInt16(32))
    data.append(contentsOf: Array("data".utf8)); append(UInt32(samples.count * 4))
    for s in samples { append(s.bitPattern) }
    try data.write(to: url)
}

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("keyscan-analyzer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { TestFiles.remove(url) }
    func path(_ name: String) -> URL { url.appendingPathComponent(name) }
}
