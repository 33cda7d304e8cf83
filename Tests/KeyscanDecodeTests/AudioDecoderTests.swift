import Foundation
import Synchronization
import KeyscanTestSupport
import Testing
import KeyscanDecode

/// One container/codec the decoder must read, encoded by the ffmpeg CLI from
/// 1 s of a 0.5-amplitude 440 Hz sine.
struct Container: Sendable, CustomTestStringConvertible {
    let file: String
    /// ffmpeg arguments after the sine input (input 0): more inputs, maps, codecs.
    let arguments: [String]
    let codec: String
    let lossless: Bool

    var testDescription: String { "\(file) (\(codec))" }

    static let video = ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=1"]

    static let all: [Container] = [
        Container(file: "a.mp3", arguments: ["-c:a", "libmp3lame", "-b:a", "192k"], codec: "mp3", lossless: false),
        Container(file: "aac.m4a", arguments: ["-c:a", "aac", "-b:a", "192k"], codec: "aac", lossless: false),
        Container(file: "alac.m4a", arguments: ["-c:a", "alac"], codec: "alac", lossless: true),
        Container(file: "a.flac", arguments: ["-c:a", "flac"], codec: "flac", lossless: true),
        Container(file: "a.wav", arguments: ["-c:a", "pcm_s16le"], codec: "pcm_s16le", lossless: true),
        Container(file: "a.aiff", arguments: ["-c:a", "pcm_s16be"], codec: "pcm_s16be", lossless: true),
        Container(file: "a.ogg", arguments: ["-c:a", "libvorbis", "-q:a", "6"], codec: "vorbis", lossless: false),
        Container(file: "a.opus", arguments: ["-c:a", "libopus", "-b:a", "128k"], codec: "opus", lossless: false),
        Container(file: "a.wma", arguments: ["-c:a", "wmav2", "-b:a", "192k"], codec: "wmav2", lossless: false),
        // Video first, so the audio is not stream 0: the decoder must pick it, and discard the video.
        Container(file: "video.mp4", arguments: video + ["-map", "1:v", "-map", "0:a", "-c:v", "mpeg4", "-c:a", "aac"],
                  codec: "aac", lossless: false),
        Container(file: "video.mkv", arguments: video + ["-map", "1:v", "-map", "0:a", "-c:v", "mpeg4", "-c:a", "flac"],
                  codec: "flac", lossless: true),
        // Cover art is a video stream too (an attached picture), found in most real MP3s.
        Container(file: "cover.mp3",
                  arguments: ["-f", "lavfi", "-i", "color=c=red:s=16x16:d=1", "-map", "0:a", "-map", "1:v",
                              "-c:a", "libmp3lame", "-b:a", "192k", "-c:v", "png", "-frames:v", "1", "-disposition:v", "attached_pic"],
                  codec: "mp3", lossless: false),
    ]
}

@Suite struct AudioDecoderTests {
    @Test(arguments: Container.all)
    func decodesContainer(_ container: Container) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(container.file)
        try ffmpeg(sineInput() + container.arguments + [path])

        let (samples, decoder) = try decodeAll(path)

        #expect(decoder.source.codec == container.codec)
        #expect(decoder.warnings.isEmpty)
        // Lossless: exact length. Lossy: encoders pad to whole frames (1024–2048 samples)
        // and not every container records it: FFmpeg's own CLI gives 45056 for the AAC
        // M4A, 43008 for the WMA, and we match it.
        let lengthTolerance = container.lossless ? 0 : 4096
        #expect(abs(samples.count - 44100) <= lengthTolerance)
        // 0.1 Hz is 0.4 cents at A4; key detection needs a fraction of a semitone (26 Hz).
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 440) < 0.1)
        // Lossless keeps 16-bit precision. Lossy codecs keep a pure tone's level within 5%:
        // LAME at 192 kb/s loses 3% on this tone, and librosa's decoder sees the same.
        #expect(abs(sineAmplitude(samples) - 0.5) < (container.lossless ? 1e-4 : 0.025))
    }
}

@Suite struct AudioDecoderStreamingTests {
    @Test func reportsTheSource() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("stereo.wav")
        let tone = sine(440, amplitude: 0.5, sampleRate: 48000, seconds: 0.5)
        try writeWAV(path, sampleRate: 48000, channels: [tone, tone], encoding: .int16)

        let decoder = try AudioDecoder(path: path)

        #expect(decoder.source == AudioSourceInfo(container: "wav", codec: "pcm_s16le", sampleRate: 48000,
                                                  channels: 2, duration: 0.5))
        #expect(decoder.sampleRate == 44100)
    }

    @Test func streamsBlocksThatAddUpToTheSignal() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("long.wav")
        // 3.5 s: three full blocks and a short one. Float32 at 44.1 kHz mono passes through bit-exact.
        let tone = sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 3.5)
        try writeWAV(path, sampleRate: 44100, channels: [tone], encoding: .float32)

        let decoder = try AudioDecoder(path: path)
        var blocks: [[Float]] = []
        while let block = try decoder.nextBlock() { blocks.append(block) }

        #expect(blocks.count == 3)
        #expect(blocks.dropLast().allSatisfy { $0.count >= AudioDecoder.preferredBlockSize })
        #expect(Array(blocks.joined()) == tone)
        #expect(try decoder.nextBlock() == nil, "stays at the end")
    }

    @Test func keepsFullScaleWithoutNormalising() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("full.wav")
        let extremes = (0..<4410).map { $0.isMultiple(of: 2) ? Float(1) : Float(-1) }
        try writeWAV(path, sampleRate: 44100, channels: [extremes], encoding: .int16)

        let samples = try decodeAll(path).samples

        // int16 → float divides by 32768: +32767 is just under 1, -32768 exactly -1.
        #expect(samples.max() == Float(32767) / 32768)
        #expect(samples.min() == -1)
    }

    @Test func skipsCorruptPacketsAndWarns() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("corrupt.mp3")
        try writeMP3WithNoise(path)

        let (samples, decoder) = try decodeAll(path)

        #expect(decoder.warnings.contains { $0.hasPrefix("skipped") && $0.contains("corrupt") },
                "\(decoder.warnings)")
        // Lost frames are missing, not fatal: most of the 3 s remain.
        #expect(samples.count > 2 * 44100)
    }

    @Test func cancelsWhenAsked() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone.wav")
        try writeWAV(path, sampleRate: 44100, channels: [sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 3)],
                     encoding: .int16)
        let abort = AbortFlag()

        let decoder = try AudioDecoder(path: path, shouldAbort: { abort.isRaised })
        #expect(try decoder.nextBlock() != nil)
        abort.raise()

        #expect(throws: DecodeError.cancelled(path: path)) { try decoder.nextBlock() }
        #expect(throws: DecodeError.cancelled(path: path)) {
            try AudioDecoder(path: path, shouldAbort: { true })
        }
    }
}

/// A flag `shouldAbort` can read from any thread.
final class AbortFlag: Sendable {
    private let raised = Atomic(false)
    var isRaised: Bool { raised.load(ordering: .relaxed) }
    func raise() { raised.store(true, ordering: .relaxed) }
}
