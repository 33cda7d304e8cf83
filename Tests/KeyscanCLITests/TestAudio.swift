import Foundation

/// Audio the end-to-end tests make for themselves.
enum TestAudio {
    static let rate = 44100

    /// A cadence in `tonic` (pitch class, 0 = C) major or minor: I–IV–V–I (i–iv–V–i),
    /// each chord 1 s of piano-like tones (six decaying harmonics) with the root an octave
    /// below, repeated to `seconds`; every pitch `cents` off equal temperament at A = 440 Hz.
    static func cadence(tonic: Int, minor: Bool, seconds: Double, cents: Double = 0) -> [Float] {
        let third = minor ? 3 : 4
        let chords: [[Int]] = [[0, third, 7], [5, 5 + (minor ? 3 : 4), 12], [7, 11, 14], [0, third, 7]]
        let chordLength = rate
        let total = Int(seconds * Double(rate))
        var out = [Float](repeating: 0, count: total)
        for start in stride(from: 0, to: total, by: chordLength) {
            let chord = chords[(start / chordLength) % chords.count]
            let notes = chord.map { 48 + tonic + $0 } + [36 + tonic + chord[0]]  // MIDI: C3 + tonic, bass an octave down
            for note in notes {
                let f = 440 * pow(2, (Double(note - 69) + cents / 100) / 12)
                let count = min(chordLength, total - start)
                for h in 1...6 {
                    // sin(ωi) by rotating a unit phasor: two multiply-adds a sample, not a sin().
                    let w = 2 * Double.pi * f * Double(h) / Double(rate)
                    let (cw, sw) = (cos(w), sin(w))
                    var (c, s) = (1.0, 0.0)
                    var envelope = 0.08 / Double(h * h)
                    let decay = exp(-2.5 / Double(rate))
                    for i in 0..<count {
                        out[start + i] += Float(envelope * s)
                        (c, s) = (c * cw - s * sw, s * cw + c * sw)
                        envelope *= decay
                    }
                }
            }
        }
        return out
    }

    /// Camelot notation of a key: C major is 8B, A minor 8A, and each step round the wheel
    /// a fifth (7 semitones; 7 is its own inverse mod 12).
    static func camelot(tonic: Int, minor: Bool) -> String {
        let steps = (7 * (tonic - (minor ? 9 : 0)) % 12 + 12) % 12
        return "\((steps + 7) % 12 + 1)\(minor ? "A" : "B")"
    }

    static func sine(_ frequency: Double, seconds: Double, amplitude: Double = 0.5) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * .pi * frequency * Double($0) / Double(rate))) }
    }

    /// A 16-bit PCM WAV file, channels interleaved from `channels` (all the same length).
    static func writeWAV(_ url: URL, channels: [[Float]], rate: Int = rate) throws {
        let frames = channels.first?.count ?? 0
        var data = Data()
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        let bytes = frames * channels.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + bytes))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1))
        append(UInt16(channels.count)); append(UInt32(rate)); append(UInt32(rate * channels.count * 2))
        append(UInt16(channels.count * 2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(bytes))
        for i in 0..<frames {
            for channel in channels { append(Int16(max(-1, min(1, channel[i])) * 32767)) }
        }
        try data.write(to: url)
    }

    static func writeWAV(_ url: URL, mono: [Float], rate: Int = rate) throws {
        try writeWAV(url, channels: [mono], rate: rate)
    }

    /// Encodes `source` with the ffmpeg command-line tool (tests only; keyscan itself
    /// never runs a subprocess).
    static func encode(_ source: URL, to destination: URL, _ arguments: [String] = []) throws {
        try encode(source, outputs: [(destination, arguments)])
    }

    /// Encodes `source` into several files with one ffmpeg process (each process costs
    /// about 0.1 s of CPU); each output has its own arguments (codec, metadata). With more
    /// than one output, each takes the source's audio.
    static func encode(_ source: URL, outputs: [(URL, [String])]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        let map = outputs.count > 1 ? ["-map", "0:a"] : []
        process.arguments = ["-nostdin", "-v", "error", "-y", "-i", source.path]
            + outputs.flatMap { destination, arguments in map + arguments + [destination.path] }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let names = outputs.map { $0.0.lastPathComponent }.joined(separator: ", ")
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "ffmpeg failed for \(names)"])
        }
    }
}
