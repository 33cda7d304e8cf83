import Foundation
import KeyscanDecode
import KeyscanTestSupport

// Test signals, files and measurements. Tests make their own audio: WAV is written
// here in Swift; other containers are encoded with the ffmpeg CLI, which only the
// tests run (Sources never spawn a process).

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("keyscan-decode-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { TestFiles.remove(url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// `seconds` of a sine, computed in Double.
func sine(_ frequency: Double, amplitude: Double, sampleRate: Int, seconds: Double) -> [Float] {
    (0..<Int(seconds * Double(sampleRate))).map {
        Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate)))
    }
}

enum WAVEncoding {
    case int16, int24, float32

    var bytesPerSample: Int {
        switch self {
        case .int16: 2
        case .int24: 3
        case .float32: 4
        }
    }
}

/// Writes a RIFF WAVE file from one array per channel (all the same length).
/// Integer encodings scale by 2^(bits-1), positive values by 2^(bits-1) - 1,
/// so ±1.0 is full scale either way.
func writeWAV(_ path: String, sampleRate: Int, channels: [[Float]], encoding: WAVEncoding) throws {
    let frames = channels[0].count
    let blockAlign = channels.count * encoding.bytesPerSample
    var bytes: [UInt8] = []
    bytes.reserveCapacity(44 + frames * blockAlign)
    func le(_ value: UInt32, _ count: Int) {
        for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }
    func integer(_ x: Float, bits: Int) -> UInt32 {
        let scale = Double(1 << (bits - 1))
        let scaled = x >= 0 ? Double(x) * (scale - 1) : Double(x) * scale
        return UInt32(bitPattern: Int32(scaled.rounded()))
    }
    bytes += Array("RIFF".utf8); le(UInt32(36 + frames * blockAlign), 4); bytes += Array("WAVE".utf8)
    bytes += Array("fmt ".utf8); le(16, 4)
    le(encoding == .float32 ? 3 : 1, 2)  // WAVE_FORMAT_IEEE_FLOAT or WAVE_FORMAT_PCM
    le(UInt32(channels.count), 2); le(UInt32(sampleRate), 4)
    le(UInt32(sampleRate * blockAlign), 4); le(UInt32(blockAlign), 2); le(UInt32(encoding.bytesPerSample * 8), 2)
    bytes += Array("data".utf8); le(UInt32(frames * blockAlign), 4)
    for frame in 0..<frames {
        for channel in channels {
            switch encoding {
            case .int16: le(integer(channel[frame], bits: 16), 2)
            case .int24: le(integer(channel[frame], bits: 24), 3)
            case .float32: le(channel[frame].bitPattern, 4)
            }
        }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// An encoding tool (ffmpeg, lame) failed: the command and what it wrote to stderr.
struct EncoderToolError: Error, CustomStringConvertible {
    let description: String
}

/// Runs the ffmpeg CLI to encode a test file.
func ffmpeg(_ arguments: [String]) throws {
    try runTool("ffmpeg", options: ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"], arguments)
}

/// Runs the lame CLI (Debian's `lame`): the MP3s ffmpeg's libmp3lame cannot write, with
/// CRCs (`-p`) or in dual-channel mode.
func lame(_ arguments: [String]) throws {
    try runTool("lame", options: ["--quiet"], arguments)
}

/// Runs `tool` with `options` and `arguments` from PATH; when it fails, throws what it wrote
/// to stderr, after the command (without `options`).
private func runTool(_ tool: String, options: [String], _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + options + arguments
    let stderr = Pipe()
    process.standardError = stderr
    try process.run()
    let output = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw EncoderToolError(description: "\(tool) \(arguments.joined(separator: " ")): " + String(decoding: output, as: UTF8.self))
    }
}

/// ffmpeg input arguments for `seconds` of a 0.5-amplitude 440 Hz sine at `sampleRate`.
func sineInput(sampleRate: Int = 44100, seconds: Double = 1) -> [String] {
    ["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t):s=\(sampleRate):d=\(seconds)"]
}

/// A 3-s 440 Hz 192 kb/s MP3 at `path` with 4 KB of noise a third of the way in: a few
/// frames become undecodable, the rest of the file decodes.
func writeMP3WithNoise(_ path: String) throws {
    try ffmpeg(sineInput(seconds: 3) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes.replaceSubrange(bytes.count / 3..<(bytes.count / 3 + 4096), with: TestBytes.pseudoRandom(4096, seed: 7))
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Garbles the payload of every MP3 frame after the first `keep`, keeping each frame's
/// 4-byte header so the demuxer still finds the packets (192 kb/s frames at 44.1 kHz are
/// 626–627 bytes): a file that is mostly damage.
func garbleMP3Payloads(_ path: String, keepingFrames keep: Int = 10) throws {
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let noise = TestBytes.pseudoRandom(bytes.count, seed: 11)
    var frame = 0, i = 0
    while i + 4 < bytes.count {
        guard bytes[i] == 0xFF, bytes[i + 1] & 0xE0 == 0xE0 else { i += 1; continue }
        let length = bytes[i + 2] & 0x02 == 0 ? 626 : 627
        if frame > keep { for j in (i + 4)..<min(i + length, bytes.count) { bytes[j] = noise[j] } }
        frame += 1
        i += length
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Adds `steps` (1.5 dB each, at most to 255) to the global gain of both granules of every
/// frame of a mono MPEG-1 layer III file without CRCs, ID3 tag or Xing frame (`-id3v2_version 0
/// -write_xing 0`): the same frames, `steps` × 1.5 dB louder when decoded.
func raiseGlobalGain(ofMonoMP3 path: String, bySteps steps: Int) throws {
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let kilobits = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    func bits(at position: Int, _ count: Int) -> Int {
        (0..<count).reduce(0) { value, k in value << 1 | Int(bytes[(position + k) / 8] >> (7 - UInt8((position + k) % 8)) & 1) }
    }
    func set(at position: Int, _ count: Int, to value: Int) {
        for k in 0..<count {
            let mask = UInt8(1) << (7 - UInt8((position + k) % 8))
            if (value >> (count - 1 - k)) & 1 == 1 { bytes[(position + k) / 8] |= mask } else { bytes[(position + k) / 8] &= ~mask }
        }
    }
    var frame = 0
    while frame + 4 <= bytes.count {
        // FF FB: MPEG-1 layer III without CRC; channel mode 3: mono.
        precondition(bytes[frame] == 0xFF && bytes[frame + 1] == 0xFB && bytes[frame + 3] >> 6 == 3, "not a mono MPEG-1 layer III frame")
        let rate = [44100, 48000, 32000][Int(bytes[frame + 2] >> 2 & 3)]
        let length = 144 * kilobits[Int(bytes[frame + 2] >> 4)] * 1000 / rate + Int(bytes[frame + 2] >> 1 & 1)
        // Mono side information: main_data_begin (9 bits), private bits (5), scfsi (4), then per
        // granule (59 bits) part2_3_length (12) and big_values (9) before global_gain (8).
        for granule in 0..<2 {
            let position = (frame + 4) * 8 + 18 + granule * 59 + 21
            set(at: position, 8, to: min(255, bits(at: position, 8) + steps))
        }
        frame += length
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Every sample of `path`, with the decoder (for its source info and warnings).
func decodeAll(_ path: String, sampleRate: Int = 44100, oggVorbis: OggVorbisDecoding = .ffmpegThenLibvorbisfile,
               mp3: MP3Decoding = .ffmpeg)
    throws(DecodeError) -> (samples: [Float], decoder: AudioDecoder) {
    let decoder = try AudioDecoder(path: path, sampleRate: sampleRate, oggVorbis: oggVorbis, mp3: mp3)
    var samples: [Float] = []
    while let block = try decoder.nextBlock() { samples += block }
    return (samples, decoder)
}

/// The middle of a signal, away from codec and filter edge effects.
func middle(_ x: [Float], trimming fraction: Double = 0.1) -> ArraySlice<Float> {
    let edge = Int(Double(x.count) * fraction)
    return x[edge..<(x.count - edge)]
}

/// Frequency in Hz from the positive-going zero crossings of the middle of `x`,
/// each located by linear interpolation.
func zeroCrossingFrequency(_ x: [Float], sampleRate: Int) -> Double {
    let y = middle(x)
    var crossings: [Double] = []
    for i in y.indices.dropLast() where y[i] < 0 && y[i + 1] >= 0 {
        crossings.append(Double(i) + Double(y[i] / (y[i] - y[i + 1])))
    }
    guard let first = crossings.first, let last = crossings.last, crossings.count > 1 else { return 0 }
    return Double(crossings.count - 1) * Double(sampleRate) / (last - first)
}

/// Amplitude of a sine, as √2 · RMS of the middle of `x`.
func sineAmplitude(_ x: [Float]) -> Double {
    let y = middle(x)
    return (y.reduce(0) { $0 + Double($1) * Double($1) } / Double(y.count)).squareRoot() * 2.squareRoot()
}


/// The largest absolute difference between two signals of the same length.
func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "signals of \(a.count) and \(b.count) samples")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
