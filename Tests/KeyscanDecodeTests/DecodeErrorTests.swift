import Foundation
import Glibc
import Testing
import KeyscanDecode

/// Every kind of bad input gets its own named error, or decodes what is there.
@Suite struct DecodeErrorTests {
    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("missing.mp3")

        #expect(throws: DecodeError.fileNotFound(path: path)) { try AudioDecoder(path: path) }
    }

    @Test func directoryNamedLikeAudio() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("x.mp3")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)

        #expect(throws: DecodeError.isDirectory(path: path)) { try AudioDecoder(path: path) }
    }

    @Test func emptyFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("empty.mp3")
        try Data().write(to: URL(fileURLWithPath: path))

        #expect(try notAudio(path))
    }

    @Test func randomBytesNamedMP3() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("noise.mp3")
        try Data(pseudoRandomBytes(20_000, seed: 42)).write(to: URL(fileURLWithPath: path))

        #expect(try notAudio(path))
    }

    @Test func textNamedWAV() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.wav")
        try "These are liner notes, not audio.\n".write(toFile: path, atomically: true, encoding: .utf8)

        #expect(try notAudio(path))
    }

    @Test func imageNamedFLAC() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cover.flac")
        try Data(Self.onePixelPNG).write(to: URL(fileURLWithPath: path))

        #expect(try notAudio(path))
    }

    @Test func videoWithoutAudio() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("silent.mkv")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=1", "-c:v", "mpeg4", path])

        #expect(throws: DecodeError.noAudioStream(path: path)) { try AudioDecoder(path: path) }
    }

    @Test func codecFFmpegDoesNotKnow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("odd.wav")
        try writeWAV(path, sampleRate: 8000, channels: [[Float](repeating: 0, count: 800)], encoding: .int16)
        // Rewrite the format tag (bytes 20–21) from PCM to 0x5555, which no decoder claims.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[20] = 0x55
        bytes[21] = 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        #expect(throws: DecodeError.unsupportedCodec(path: path, codec: "unknown, tag 0x5555")) {
            try AudioDecoder(path: path)
        }
    }

    /// Float PCM is passed through as the file holds it, so a corrupt float file can hand
    /// over NaN, infinities and values near Float's range; the transform would turn them
    /// into NaN confidences. They become silence or are clipped, with a warning each.
    @Test func nonFiniteAndHugeFloatSamplesAreConfined() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("broken-float.wav")
        var samples = sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 1)
        let bad: [Int: Float] = [1000: .nan, 2000: .infinity, 3000: -.infinity, 4000: 1e30, 5000: -3e38]
        for (index, value) in bad { samples[index] = value }
        try writeWAV(path, sampleRate: 44100, channels: [samples], encoding: .float32)

        let (decoded, decoder) = try decodeAll(path)
        #expect(decoded.allSatisfy { $0.isFinite && abs($0) <= AudioDecoder.sampleLimit })
        // 44.1 kHz mono float in, so the resampler copies: each bad sample is one sample out.
        #expect(decoded.count == samples.count)
        #expect([1000, 2000, 3000].map { decoded[$0] } == [0, 0, 0])
        #expect(decoded[4000] == AudioDecoder.sampleLimit && decoded[5000] == -AudioDecoder.sampleLimit)
        #expect(decoded[6000] == samples[6000], "good samples pass unchanged")
        #expect(decoder.warnings == ["replaced 3 NaN or infinite samples with silence", "clipped 2 samples beyond ±1000"])
    }

    /// What the decode fuzzer found (`tools/fuzz.sh decode`): a float WAV holding NaN and
    /// 3·10³⁸ samples, which resampled into a spectrogram full of NaN. Its rate field is
    /// raised from 400 to 8000 Hz, as rates below 1 kHz are now refused before decoding.
    @Test func fuzzedFloatWAVDecodesToBoundedSamples() throws {
        let path = try #require(Bundle.module.path(forResource: "nan-float", ofType: "wav", inDirectory: "Fixtures/fuzz"))
        let (decoded, decoder) = try decodeAll(path)
        #expect(decoded.count > 44100 / 10)
        #expect(decoded.allSatisfy { $0.isFinite && abs($0) <= AudioDecoder.sampleLimit })
        #expect(decoder.warnings.contains { $0.contains("NaN or infinite") }, "\(decoder.warnings)")
    }

    @Test func truncatedMP3DecodesWhatIsThere() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cut.mp3")
        try ffmpeg(sineInput(seconds: 2) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(10 * 1024).write(to: URL(fileURLWithPath: path))

        let samples = try decodeAll(path).samples

        // 10 KB at 192 kb/s is about 0.43 s, less the header.
        #expect(samples.count > 10_000 && samples.count < 22_050)
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 440) < 0.5)
    }

    @Test(.enabled(if: getuid() != 0, "root reads any file"))
    func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("locked.wav")
        try writeWAV(path, sampleRate: 44100, channels: [[0, 0]], encoding: .int16)
        chmod(path, 0o000)

        #expect(throws: DecodeError.permissionDenied(path: path)) { try AudioDecoder(path: path) }
    }

    @Test func codesAreStableAndMessagesNameTheFile() {
        let path = "/music/a.mp3"
        let errors: [(DecodeError, String)] = [
            (.fileNotFound(path: path), "file_not_found"),
            (.permissionDenied(path: path), "permission_denied"),
            (.isDirectory(path: path), "is_directory"),
            (.notAudio(path: path, reason: "empty file"), "not_audio"),
            (.noAudioStream(path: path), "no_audio_stream"),
            (.unsupportedCodec(path: path, codec: "xyz"), "unsupported_codec"),
            (.decodeFailed(path: path, reason: "avcodec_send_packet: Invalid data found when processing input"),
             "decode_failed"),
            (.readFailed(path: path, reason: "av_read_frame: I/O error"), "read_failed"),
            (.cancelled(path: path), "cancelled"),
        ]
        for (error, code) in errors {
            #expect(error.code == code)
            #expect(error.message.contains(path))
            #expect(error.description == error.message)
        }
        #expect(DecodeError.decodeFailed(path: path, reason: "avcodec_send_packet: Invalid data").message
            .contains("avcodec_send_packet: Invalid data"))
    }

    /// True when decoding `path` throws `.notAudio`, whatever the reason's wording.
    private func notAudio(_ path: String) throws -> Bool {
        do {
            _ = try AudioDecoder(path: path)
            return false
        } catch {
            guard case .notAudio(let failedPath, _) = error else { throw error }
            return failedPath == path
        }
    }

    /// A valid 1×1 grey PNG (67 bytes).
    static let onePixelPNG: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B,
        0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x68, 0x00, 0x00, 0x00,
        0x82, 0x00, 0x81, 0x77, 0xCD, 0x72, 0xB6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
        0x42, 0x60, 0x82,
    ]
}
