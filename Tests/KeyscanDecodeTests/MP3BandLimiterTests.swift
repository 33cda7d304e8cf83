import Foundation
import KeyscanTestSupport
import Testing
@_spi(Fuzzing) @testable import KeyscanDecode

/// `MP3BandLimiter`: libmpg123 decoding the frames it cuts down gives, below 1.4 kHz, what it
/// gives decoding every line (`MP3Decoding.libmpg123AllLines`), for every kind of layer III
/// stream lame writes; damage goes through it without a crash, every packet out once.
@Suite struct MP3BandLimiterTests {
    static let rate = 11025

    /// Two channels of a chord (220–660 Hz), 1 and 3 kHz tones and noise, with attacks every
    /// 0.25 s (lame switches to short blocks there), the channels different (a side signal).
    static func music(_ path: String, seconds: Double = 4) throws {
        let chord = "0.25*sin(2*PI*220*t)+0.2*sin(2*PI*277.18*t)+0.2*sin(2*PI*329.63*t)+0.1*sin(2*PI*1000*t)"
        let attack = "(0.3+1.2*exp(-40*mod(t\\,0.25)))"
        let left = "(\(chord)+0.15*sin(2*PI*3000*t)+0.1*(random(0)-0.5))*\(attack)"
        let right = "(\(chord)+0.1*sin(2*PI*660*t)+0.1*(random(1)-0.5))*\(attack)*0.8"
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=\(left)|\(right):s=44100:d=\(seconds)", "-c:a", "pcm_s16le", path])
    }

    /// lame's options for each kind: MPEG 1, 2 and 2.5, CBR and VBR, joint (mid/side),
    /// plain and dual-channel stereo, forced mid/side, mono, with CRCs.
    static let kinds: [(String, [String])] = [
        ("joint-128k", ["-b", "128"]),
        ("stereo-320k", ["-m", "s", "-b", "320"]),
        ("vbr", ["-V", "2"]),
        ("crc-joint", ["-p", "-b", "128"]),
        ("forced-ms-48k", ["-m", "f", "--resample", "48", "-b", "160"]),
        ("dual-32k", ["-m", "d", "--resample", "32", "-b", "96"]),
        ("mono-64k", ["-m", "m", "-b", "64"]),
        ("mpeg2-22k", ["--resample", "22.05", "-b", "64"]),
        ("mpeg2-24k-vbr-crc", ["-p", "--resample", "24", "-V", "5"]),
        ("mpeg2-16k-mono", ["-m", "m", "--resample", "16", "-b", "32"]),
        ("mpeg25-11k-crc", ["-p", "--resample", "11.025", "-b", "24"]),
        ("mpeg25-8k", ["--resample", "8", "-b", "16"]),
    ]

    /// Below 1.4 kHz the two decodes agree (to rounding at the rates libmpg123 synthesises
    /// at a half or a quarter), above 2.5 kHz the cut one has next to nothing: the lines
    /// there are gone.
    @Test(arguments: kinds.map(\.0))
    func keepsWhatTheTransformReads(kind: String) throws {
        let options = try #require(Self.kinds.first { $0.0 == kind }).1
        let directory = try TemporaryDirectory()
        let wav = directory.path("music.wav"), path = directory.path("\(kind).mp3")
        try Self.music(wav)
        try lame(options + [wav, path])

        let (cut, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)
        let (full, _) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123AllLines)
        #expect(decoder.source.library == .libmpg123)
        #expect(decoder.warnings.isEmpty, "\(decoder.warnings)")
        #expect(cut.count == full.count, "\(cut.count) against \(full.count) samples")
        let n = min(cut.count, full.count)
        let low = FIR.lowPass(cutoff: 1400, sampleRate: Self.rate)
        let a = Array(middle(low.apply(Array(cut[0..<n])))), b = Array(middle(low.apply(Array(full[0..<n]))))
        let error = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let energy = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(energy > 0)

        let high = FIR.highPass(cutoff: 2500, sampleRate: Self.rate)
        let highCut = middle(high.apply(Array(cut[0..<n]))).reduce(0.0) { $0 + Double($1) * Double($1) }
        let highFull = middle(high.apply(Array(full[0..<n]))).reduce(0.0) { $0 + Double($1) * Double($1) }
        // At 44.1, 22.05 and 11.025 kHz libmpg123's 4:1, 2:1 and 1:1 synthesis gives the same
        // samples below 1.4 kHz to rounding (measured 2e-12–6e-12). At the other rates its
        // N-to-M synthesis interpolates, which folds some of what lies above 2 kHz into the
        // low band of the full decode; cut, that is gone (measured 2e-4 at 32 kHz to 1.9e-3
        // at 8 kHz).
        let nyquist = Self.nyquist(of: options)
        let reduced = [22050.0, 11025, 5512.5].contains(nyquist)
        #expect(error / energy < (reduced ? 1e-9 : 5e-3), "below 1.4 kHz: relative error energy \(error / energy)")
        // Above 2.5 kHz: measured 8e-7–2e-4 of the full decode's energy through the reduced
        // synthesis, 2e-3–3e-2 through N-to-M (16 kHz the most); at 8 kHz its interpolation
        // images the low band up there.
        if nyquist > 4000 {
            #expect(highCut < (reduced ? 1e-3 : 0.05) * highFull, "above 2.5 kHz: \(highCut) against \(highFull)")
        }
    }

    /// The streams above hold short blocks, so the short-block cut-offs are exercised.
    @Test func theTestMusicHasShortBlocks() throws {
        let directory = try TemporaryDirectory()
        let wav = directory.path("music.wav"), path = directory.path("a.mp3")
        try Self.music(wav, seconds: 2)
        try lame(["-b", "128", wav, path])
        let kinds = Self.frames(of: try Self.bytes(path)).flatMap { frame in
            frame.withUnsafeBytes { bytes -> [Int] in
                guard let layout = MP3BandLimiter.FrameLayout(bytes) else { return [] }
                return MP3BandLimiter.SideInfo(frame, at: layout.sideOffset, layout).granules.map(\.blockType)
            }
        }
        #expect(kinds.contains(2), "block types \(Set(kinds))")
        #expect(kinds.contains(0))
    }

    /// Every packet comes out once, in order, its size and header unchanged; a frame whose
    /// CRC was right is right again, and one whose CRC was wrong stays wrong.
    @Test(arguments: ["crc-joint", "mpeg25-11k-crc", "mpeg2-24k-vbr-crc"])
    func framesKeepTheirSizesAndValidCRCs(kind: String) throws {
        let options = try #require(Self.kinds.first { $0.0 == kind }).1
        let directory = try TemporaryDirectory()
        let wav = directory.path("music.wav"), path = directory.path("a.mp3")
        try Self.music(wav, seconds: 2)
        try lame(options + [wav, path])
        var packets = Self.frames(of: try Self.bytes(path))
        #expect(packets.count > 20)
        packets[10][4] ^= 0x5A    // a wrong CRC
        let out = Self.limit(packets)
        #expect(out.count == packets.count)
        for (index, (a, b)) in zip(packets, out).enumerated() {
            #expect(a.count == b.count && a[0..<4] == b[0..<4], "frame \(index)")
            let layout = try #require(a.withUnsafeBytes { MP3BandLimiter.FrameLayout($0) })
            #expect(layout.hasCRC)
            #expect(Self.crcIsRight(b, layout) == (index != 10), "frame \(index)")
        }
    }

    /// A stream cut in the middle: its first frame's bit reservoir lies before it, so that
    /// frame comes out silent (zero side information), as libmpg123 makes it.
    @Test func reservoirBeforeTheStreamGivesASilentFrame() throws {
        let directory = try TemporaryDirectory()
        let wav = directory.path("music.wav"), path = directory.path("a.mp3")
        try Self.music(wav, seconds: 2)
        try lame(["-b", "64", wav, path])
        let packets = Array(Self.frames(of: try Self.bytes(path)).dropFirst(20))
        let first = try #require(packets.firstIndex { frame in
            frame.withUnsafeBytes { bytes in
                guard let layout = MP3BandLimiter.FrameLayout(bytes) else { return false }
                return MP3BandLimiter.SideInfo(frame, at: layout.sideOffset, layout).mainDataBegin > 0
            }
        })
        #expect(first == 0)
        let out = Self.limit(packets)
        #expect(out.count == packets.count)
        #expect(out[0][4..<36].allSatisfy { $0 == 0 })
        #expect(out[5][4..<36].contains { $0 != 0 })
    }

    /// Damage of every kind goes through without a crash, every packet out once and in order:
    /// random bytes, cut frames, frames with random side information and main data, headers
    /// of other layers and rates.
    @Test func damagedInput() throws {
        let directory = try TemporaryDirectory()
        let wav = directory.path("music.wav"), path = directory.path("a.mp3")
        try Self.music(wav, seconds: 2)
        try lame(["-b", "128", wav, path])
        let frames = Self.frames(of: try Self.bytes(path))
        var packets: [[UInt8]] = []
        let noise = TestBytes.pseudoRandom(200_000, seed: 3)
        var cursor = 0
        func random(_ count: Int) -> [UInt8] {
            defer { cursor = (cursor + count) % 100_000 }
            return Array(noise[cursor..<(cursor + count)])
        }
        for (index, frame) in frames.enumerated() {
            switch index % 7 {
            case 1: packets.append(Array(frame[0..<(frame.count / 2)]))               // cut
            case 2: packets.append(Array(frame[0..<4]) + random(frame.count - 4))     // random side info
            case 3: packets.append(random(Int(noise[index]) + 1))                      // not a frame
            case 4: packets.append([0xFF, 0xFD] + Array(frame[2...]))                  // layer II header
            default: packets.append(frame)
            }
        }
        packets.append([])
        packets.append([0xFF, 0xFB, 0x90])
        let out = Self.limit(packets)
        #expect(out.count == packets.count)
        for (a, b) in zip(packets, out) {
            #expect(a.count == b.count && a.prefix(4) == b.prefix(4))
            // What is not a whole layer III frame passes through as it is.
            if a.withUnsafeBytes({ MP3BandLimiter.FrameLayout($0) }) == nil { #expect(a == b) }
        }
    }

    // MARK: MP3BandLimiter.Huffman tables

    /// Each big-values table is a complete prefix code of every (x, y) pair of its size, once:
    /// the transcription of the tables is right.
    @Test(arguments: [(1, 2), (2, 3), (3, 3), (5, 4), (6, 4), (7, 6), (8, 6), (9, 6), (10, 8), (11, 8), (12, 8),
                      (13, 16), (15, 16), (16, 16), (24, 16)])
    func huffmanTableIsComplete(table: Int, size: Int) {
        var codes: [String: Int] = [:]    // code bits → x·16 + y
        var consistent = true
        func walk(offset: Int, width: Int, prefix: String) {
            for index in 0..<(1 << width) {
                let bits = prefix + binary(index, width)
                let leaf = Int(MP3BandLimiter.Huffman.codes[Int(MP3BandLimiter.Huffman.start[table]) + offset + index])
                if leaf < 0 {
                    walk(offset: -(leaf >> 3), width: leaf & 7, prefix: bits)
                } else {
                    // The length counts from the end of the lookups before this one.
                    let length = prefix.count + leaf >> 8
                    guard length > prefix.count, length <= bits.count else { consistent = false; continue }
                    let code = String(bits.prefix(length))
                    let value = leaf & 0xFF
                    if let known = codes[code], known != value { consistent = false }
                    codes[code] = value
                }
            }
        }
        walk(offset: 0, width: 5, prefix: "")
        #expect(consistent)
        let kraft = codes.keys.reduce(0.0) { $0 + pow(2, -Double($1.count)) }
        #expect(abs(kraft - 1) < 1e-12, "Kraft sum \(kraft)")
        let values = codes.values.map { ($0 & 15) * 16 + ($0 >> 4) }
        #expect(Set(values).count == values.count, "a pair coded twice")
        #expect(Set(values) == Set((0..<size).flatMap { x in (0..<size).map { x * 16 + $0 } }))
    }

    @Test func count1TableAIsComplete() {
        var codes: [String: Int] = [:]
        for index in 0..<16 {
            let leaf = Int(MP3BandLimiter.Huffman.count1A[index])
            let bits = binary(index, 4)
            guard leaf & 8 == 0 else { codes[String(bits.prefix(leaf & 7))] = leaf >> 4; continue }
            for more in 0..<(1 << (leaf & 3)) {
                let second = Int(MP3BandLimiter.Huffman.count1A[(leaf >> 3) + more])
                codes[String((bits + binary(more, leaf & 3)).prefix(second & 7))] = second >> 4
            }
        }
        #expect(abs(codes.keys.reduce(0.0) { $0 + pow(2, -Double($1.count)) } - 1) < 1e-12)
        #expect(Set(codes.values) == Set(0..<16))
    }

    // MARK: Helpers

    /// `value` as `width` binary digits.
    func binary(_ value: Int, _ width: Int) -> String {
        String((0..<width).reversed().map { (value >> $0) & 1 == 1 ? "1" : "0" })
    }

    static func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

    /// The frames of an MP3 lame wrote (no ID3 tag), as FFmpeg's demuxer would hand them over.
    static func frames(of bytes: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var at = 0
        while at + 4 <= bytes.count {
            let size = bytes[at...].withUnsafeBytes { header -> Int? in
                guard header[0] == 0xFF, header[1] & 0xE0 == 0xE0 else { return nil }
                let mpeg1 = header[1] >> 3 & 3 == 3, lsfShift = header[1] >> 3 & 3 == 2 ? 1 : 2
                let rate = [44100, 48000, 32000][Int(header[2] >> 2 & 3)] >> (mpeg1 ? 0 : lsfShift)
                let kilobits = (mpeg1 ? MP3BandLimiter.FrameLayout.mpeg1Bitrates : MP3BandLimiter.FrameLayout.lsfBitrates)[Int(header[2] >> 4)]
                return (mpeg1 ? 144_000 : 72_000) * kilobits / rate + Int(header[2] >> 1 & 1)
            }
            guard let size, at + size <= bytes.count else { break }
            frames.append(Array(bytes[at..<(at + size)]))
            at += size
        }
        return frames
    }

    static func limit(_ packets: [[UInt8]]) -> [[UInt8]] {
        let limiter = MP3BandLimiter()
        var out: [[UInt8]] = []
        for packet in packets {
            packet.withUnsafeBytes { limiter.push($0) { out.append([UInt8]($0)) } }
        }
        limiter.flush { out.append([UInt8]($0)) }
        return out
    }

    /// MPEG audio's CRC-16, written out again here: polynomial 0x8005 from 0xFFFF over the
    /// header's third and fourth bytes and the side information.
    static func crcIsRight(_ frame: [UInt8], _ layout: MP3BandLimiter.FrameLayout) -> Bool {
        var crc = 0xFFFF
        for byte in [frame[2], frame[3]] + frame[layout.sideOffset..<layout.areaOffset] {
            for bit in (0..<8).reversed() {
                let feedback = (crc >> 15 ^ Int(byte) >> bit) & 1
                crc = (crc << 1) & 0xFFFF
                if feedback == 1 { crc ^= 0x8005 }
            }
        }
        return crc == Int(frame[4]) << 8 | Int(frame[5])
    }

    /// Half the rate lame encodes at with these options.
    static func nyquist(of options: [String]) -> Double {
        guard let index = options.firstIndex(of: "--resample") else { return 22050 }
        return (Double(options[index + 1]) ?? 44.1) * 500
    }
}

/// A windowed-sinc FIR filter (Blackman window, 255 taps: 74 dB stop band).
struct FIR {
    let taps: [Double]

    static func lowPass(cutoff: Double, sampleRate: Int) -> FIR {
        let n = 255, fc = cutoff / Double(sampleRate)
        return FIR(taps: (0..<n).map { i in
            let m = Double(i - n / 2)
            let sinc = m == 0 ? 2 * fc : sin(2 * .pi * fc * m) / (.pi * m)
            let w = 0.42 - 0.5 * cos(2 * .pi * Double(i) / Double(n - 1)) + 0.08 * cos(4 * .pi * Double(i) / Double(n - 1))
            return sinc * w
        })
    }

    static func highPass(cutoff: Double, sampleRate: Int) -> FIR {
        let low = lowPass(cutoff: cutoff, sampleRate: sampleRate)
        return FIR(taps: low.taps.enumerated().map { $0.offset == low.taps.count / 2 ? 1 - $0.element : -$0.element })
    }

    /// `x` filtered, centred (the output at i is the taps around x[i]), zeros beyond its ends.
    func apply(_ x: [Float]) -> [Float] {
        let half = taps.count / 2
        var out = [Float](repeating: 0, count: x.count)
        // Raw buffers: the tests run unoptimised, and 12 streams × 4 filterings × 44,100
        // samples × 255 taps took most of a minute through array indexing.
        taps.withUnsafeBufferPointer { t in
            x.withUnsafeBufferPointer { xs in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<xs.count {
                        // Taps k with 0 <= i - k + half < xs.count.
                        let first = max(0, i + half - (xs.count - 1)), last = min(t.count - 1, i + half)
                        guard first <= last else { continue }
                        var sum = 0.0
                        for k in first...last { sum += t[k] * Double(xs[i - k + half]) }
                        o[i] = Float(sum)
                    }
                }
            }
        }
        return out
    }
}
