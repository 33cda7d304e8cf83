import Foundation
import KeyscanTestSupport
import Testing
import KeyscanDecode

/// MP3 through libmpg123 (`MP3Decoding.libmpg123`, the fast front end's decoder): mono
/// synthesis straight at 11.025 kHz, compared with FFmpeg's path (FFmpeg's decoder, soxr).
@Suite struct MPG123DecoderTests {
    static let rate = 11025

    /// An MP3 of `seconds` of 440 Hz (0.5) on the left and 261.63 Hz (0.3) on the right.
    static func stereoMP3(_ path: String, sampleRate: Int, seconds: Double = 3) throws {
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)|0.3*sin(2*PI*261.63*t):s=\(sampleRate):d=\(seconds)",
                    "-c:a", "libmp3lame", "-b:a", "128k", path])
    }

    /// Every MPEG rate ends at 11.025 kHz (44.1 and 22.05 kHz through libmpg123's 4:1 and 2:1
    /// synthesis, the others through its N-to-M synthesis) with the length and the signal of
    /// FFmpeg's decoder followed by soxr (the exact path's decoder, at 11.025 kHz).
    @Test(arguments: [44100, 48000, 32000, 22050, 24000, 16000, 12000, 8000])
    func matchesFFmpegsPathAtEveryRate(sampleRate: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone.mp3")
        try Self.stereoMP3(path, sampleRate: sampleRate)

        let (fast, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)
        let (exact, reference) = try decodeAll(path, sampleRate: Self.rate, mp3: .ffmpeg)

        #expect(decoder.source.library == .libmpg123)
        #expect(reference.source.library == .ffmpeg)
        #expect(decoder.source.sampleRate == sampleRate && decoder.source.channels == 2)
        #expect(decoder.warnings.isEmpty, "\(decoder.warnings)")
        // The same encoder delay dropped (FFmpeg's skip side data): the same length, and no lag.
        #expect(abs(fast.count - exact.count) <= 2, "\(fast.count) vs \(exact.count) samples")
        let n = min(fast.count, exact.count)
        let a = Array(middle(Array(fast[0..<n]))), b = Array(middle(Array(exact[0..<n])))
        let error = zip(a, b).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
        let energy = b.map { Double($0) * Double($0) }.reduce(0, +)
        // libmpg123's reduced-rate synthesis delays by the full-rate 529 samples times the rate
        // ratio, not a whole number of output samples: its output lags FFmpeg's by up to half
        // a sample (45 µs), which costs up to 1.6 % of the energy on these tones (measured);
        // its N-to-M synthesis interpolates its filterbank besides: 2.0–4.6 % measured at the
        // other rates (8 kHz, upsampled, the most). A whole sample of lag would cost 6 % on
        // the 44.1 kHz file and the channels not averaged 30 %.
        let tolerance = [44100, 22050, 11025].contains(sampleRate) ? 0.02 : 0.06
        #expect(error / energy < tolerance, "relative error energy \(error / energy)")
    }

    /// Channels are averaged, as librosa's `to_mono` and FFmpeg's path do: a tone on the left
    /// only comes out at half its amplitude.
    @Test func averagesTheChannels() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("left.mp3")
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.8*sin(2*PI*440*t)|0:s=44100:d=3", "-c:a", "libmp3lame", "-b:a", "192k", path])
        let samples = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123).samples
        let peak = middle(samples).map { abs($0) }.max() ?? 0
        // MP3 at 192 kb/s: the peak is the encoder's, within 5 %.
        #expect(abs(peak - 0.4) < 0.02, "peak \(peak)")
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: Self.rate) - 440) < 0.5)
    }

    @Test func otherFormatsStayWithFFmpeg() throws {
        let directory = try TemporaryDirectory()
        for (name, codec) in [("a.flac", "flac"), ("a.m4a", "aac"), ("a.ogg", "libvorbis")] {
            let path = directory.path(name)
            try ffmpeg(sineInput(seconds: 2) + ["-c:a", codec, path])
            let (samples, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)
            #expect(decoder.source.library == .ffmpeg, "\(name)")
            #expect(abs(zeroCrossingFrequency(samples, sampleRate: Self.rate) - 440) < 0.5, "\(name)")
        }
    }

    /// 4 KB of noise a third of the way in: libmpg123 starts again at the next frame after it,
    /// the packets lost are counted as FFmpeg's decoder counts those it rejects (a packet
    /// fewer, at times: libmpg123 conceals a frame whose bit reservoir lay in the noise), and
    /// the rest of the file decodes.
    @Test func decodesAroundDamage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("corrupt.mp3")
        try writeMP3WithNoise(path)

        let (samples, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)

        #expect(decoder.source.library == .libmpg123, "\(decoder.warnings)")
        #expect(decoder.warnings.count == 1, "\(decoder.warnings)")
        #expect(decoder.warnings.allSatisfy { $0.hasPrefix("skipped") && $0.contains("corrupt") }, "\(decoder.warnings)")
        // Lost or concealed frames: what is around the damage is still there, 3 s less at most 0.3 s
        // (the 4 KB are 0.17 s at 192 kb/s; after a stream change libmpg123 restarts at a frame).
        #expect(samples.count > Int(2.7 * Double(Self.rate)), "\(samples.count) samples")
    }

    /// An MP3 FFmpeg decodes and the libmpg123 path refuses: a 0.9 tone whose every granule's
    /// global gain is raised by 18 steps (×22.6, +27 dB), so each frame decodes beyond the
    /// +24 dBFS that `MPG123Decoder` takes for audio and is dropped as damage; with (nearly)
    /// no frame decoded, FFmpeg's decoder decodes the file from the start, with a warning, at
    /// 22.6 times the level (below `AudioDecoder.sampleLimit`: nothing is clipped).
    @Test func ffmpegDecodesWhatLibmpg123Refuses() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("loud.mp3")
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.9*sin(2*PI*440*t):s=44100:d=3",
                    "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "0", "-write_xing", "0", path])
        try raiseGlobalGain(ofMonoMP3: path, bySteps: 18)

        let (samples, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)

        #expect(decoder.source.library == .ffmpeg)
        #expect(decoder.warnings.count == 1, "\(decoder.warnings)")
        #expect(decoder.warnings.first?.hasPrefix("decoded with FFmpeg: libmpg123 refused the file (") == true,
                "\(decoder.warnings)")
        #expect(abs(Double(samples.count) / Double(Self.rate) - 3) < 0.1, "\(samples.count) samples")
        let peak = middle(samples).map { abs($0) }.max() ?? 0
        // 0.9 × 2^(18/4); the encoder's peak is within 10 % of the tone's.
        #expect(abs(peak / 20.36 - 1) < 0.1, "peak \(peak)")
        // 440.7 Hz measured: at such gains FFmpeg's own decoding is a little off (at +16 steps
        // on a 0.5 tone it gives 440.0 Hz and exactly 16 times the level), yet the tone.
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: Self.rate) - 440) < 1)
        // The exact path's decoder reads it as it is, without a warning.
        #expect(try decodeAll(path, sampleRate: Self.rate, mp3: .ffmpeg).decoder.warnings.isEmpty)
    }

    /// What a mutation fuzzer found (Fixtures/fuzz/mpg123-readahead-*.mp3, 1.6 and 1.7 KB of
    /// mutated MP3 seeds): a frame of the stream's rate, then damage holding a header of
    /// another rate. libmpg123 peeked past the first frame of a stream to confirm it, found
    /// damage, searched it for a header (whatever MPG123_NO_RESYNC says), met one of 22.05 or
    /// 8 kHz, and printed to stderr that it could not set up a quarter of that rate (5512,
    /// 2000 Hz): MPG123_QUIET does not silence that line in 1.31. Without the read-ahead
    /// (MPG123_NO_READAHEAD) it meets only the headers it is fed, and the damage is counted:
    /// skipped packets, or more than half of them lost and FFmpeg's decoder taking over.
    /// (MP3DamageCommandTests checks that nothing reaches stderr.)
    @Test(arguments: ["mpg123-readahead-5512hz", "mpg123-readahead-2000hz"])
    func fuzzedHeadersOfAnotherRate(name: String) throws {
        let path = try #require(Bundle.module.path(forResource: name, ofType: "mp3", inDirectory: "Fixtures/fuzz"))
        let (_, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)
        #expect(decoder.warnings.contains { $0.contains("corrupt") }, "\(decoder.warnings)")
        #expect(!decoder.warnings.contains { $0.contains("output format") }, "\(decoder.warnings)")
    }

    @Test func truncatedFileWarnsThatItsHeaderPromisedMore() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("half.mp3")
        try ffmpeg(sineInput(seconds: 6) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))

        let (samples, decoder) = try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123)

        #expect(decoder.source.library == .libmpg123)
        #expect(abs(Double(samples.count) / Double(Self.rate) - 3) < 0.1)
        #expect(decoder.warnings == ["header declares 6.0 s but only 3.0 s decoded (truncated file?)"])
    }

    @Test func randomBytesNamedMP3AreNotAudio() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("noise.mp3")
        try Data(TestBytes.pseudoRandom(64 * 1024, seed: 3)).write(to: URL(fileURLWithPath: path))
        #expect(throws: DecodeError.self) { try decodeAll(path, sampleRate: Self.rate, mp3: .libmpg123) }
    }

    @Test func cancelsWhenAsked() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone.mp3")
        try ffmpeg(sineInput(seconds: 20) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        let abort = AbortFlag()

        let decoder = try AudioDecoder(path: path, sampleRate: Self.rate, shouldAbort: { abort.isRaised }, mp3: .libmpg123)
        #expect(try decoder.nextBlock() != nil)
        #expect(decoder.source.library == .libmpg123)
        abort.raise()

        #expect(throws: DecodeError.cancelled(path: path)) { try decoder.nextBlock() }
    }
}
