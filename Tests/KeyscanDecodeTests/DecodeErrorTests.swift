import Foundation
import Glibc
import KeyscanTestSupport
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

    @Test func namedPipeIsRefusedWithoutOpeningIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("pipe.mp3")
        #expect(mkfifo(path, 0o644) == 0)

        // Opening a FIFO with no writer would block this test for good.
        #expect(throws: DecodeError.notAFile(path: path, kind: "a named pipe (FIFO)")) { try AudioDecoder(path: path) }
    }

    @Test func characterDeviceIsRefused() {
        // /dev/zero would decode as raw PCM for ever, if a demuxer took it.
        #expect(throws: DecodeError.notAFile(path: "/dev/zero", kind: "a character device")) {
            try AudioDecoder(path: "/dev/zero")
        }
    }

    @Test func symlinkLoop() throws {
        let directory = try TemporaryDirectory()
        let a = directory.path("a.mp3"), b = directory.path("b.mp3")
        try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
        try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)

        #expect(throws: DecodeError.symlinkLoop(path: a)) { try AudioDecoder(path: a) }
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
        try Data(TestBytes.pseudoRandom(20_000, seed: 42)).write(to: URL(fileURLWithPath: path))

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
        try Data(TestBytes.onePixelPNG).write(to: URL(fileURLWithPath: path))

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

    /// What the decode fuzzer found (`tools/fuzz/fuzz.sh decode`): a float WAV holding NaN and
    /// 3·10³⁸ samples, which resampled into a spectrogram full of NaN. Its rate field is
    /// raised from 400 to 8000 Hz, as rates below 1 kHz are now refused before decoding.
    @Test func fuzzedFloatWAVDecodesToBoundedSamples() throws {
        let path = try #require(Bundle.module.path(forResource: "nan-float", ofType: "wav", inDirectory: "Fixtures/fuzz"))
        let (decoded, decoder) = try decodeAll(path)
        #expect(decoded.count > 44100 / 10)
        #expect(decoded.allSatisfy { $0.isFinite && abs($0) <= AudioDecoder.sampleLimit })
        #expect(decoder.warnings.contains { $0.contains("NaN or infinite") }, "\(decoder.warnings)")
    }

    /// What the decode fuzzer found in the Ogg Vorbis sniffer: 27 bytes, an Ogg page header
    /// that ends before its lacing table, read one byte past the end. FFmpeg refuses it,
    /// and it is no Ogg Vorbis for libvorbisfile either: not audio.
    @Test func fuzzedOggPageHeaderAloneIsNotAudio() throws {
        let path = try #require(Bundle.module.path(forResource: "ogg-page-header-only", ofType: "ogg", inDirectory: "Fixtures/fuzz"))
        #expect(try notAudio(path))
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

    @Test func truncatedMP3WarnsThatItsHeaderPromisedMore() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("half.mp3")
        // LAME's Info header records the frame count, so FFmpeg knows the full length.
        try ffmpeg(sineInput(seconds: 6) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))

        let (samples, decoder) = try decodeAll(path)

        #expect(abs(Double(samples.count) / 44100 - 3) < 0.1)
        #expect(decoder.warnings == ["header declares 6.0 s but only 3.0 s decoded (truncated file?)"])
    }

    @Test func headerClaimingFarMoreThanTheFileHolds() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("liar.mp3")
        try ffmpeg(sineInput(seconds: 3) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        try claimFrames(23_000, inInfoHeaderOf: path)  // 23000 × 1152 samples: 600.8 s

        let (samples, decoder) = try decodeAll(path)

        #expect(abs(Double(samples.count) / 44100 - 3) < 0.1, "the audio that is there decodes")
        #expect(decoder.warnings == ["header declares 600.8 s but only 3.0 s decoded (truncated file?)"])
    }

    @Test func wholeFilesHaveNoTruncationWarning() throws {
        let directory = try TemporaryDirectory()
        for (name, codec) in [("a.mp3", "libmp3lame"), ("a.ogg", "libvorbis"), ("a.m4a", "aac"), ("a.flac", "flac")] {
            let path = directory.path(name)
            try ffmpeg(sineInput(seconds: 3) + ["-c:a", codec, path])
            #expect(try decodeAll(path).decoder.warnings.isEmpty, "\(name)")
        }
    }

    /// Through FFmpeg's decoder and through libmpg123 (the fast path) alike.
    @Test(arguments: [MP3Decoding.ffmpeg, .libmpg123])
    func mostlyCorruptFileFails(mp3: MP3Decoding) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("wrecked.mp3")
        try ffmpeg(sineInput(seconds: 4) + ["-c:a", "libmp3lame", "-b:a", "192k", path])
        try garbleMP3Payloads(path)

        do {
            let (samples, decoder) = try decodeAll(path, sampleRate: mp3 == .ffmpeg ? 44100 : 11025, mp3: mp3)
            Issue.record("decoded \(samples.count) samples with \(decoder.source.library), warnings \(decoder.warnings)")
        } catch {
            guard case .decodeFailed(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("packets are corrupt"), "\(reason)")
        }
    }

    @Test func readOnlyFileInReadOnlyFolder() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("ro")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let path = folder + "/tone.flac"
        try ffmpeg(sineInput(seconds: 1) + ["-c:a", "flac", path])
        chmod(path, 0o444)
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }  // so the temporary directory can be removed

        #expect(try decodeAll(path).samples.count == 44100)
        // Nothing was written: no side file, the file itself untouched.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["tone.flac"])
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
            (.symlinkLoop(path: path), "symlink_loop"),
            (.notAFile(path: path, kind: "a socket"), "not_a_file"),
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

    /// Overwrites the frame count in the LAME Info (or Xing) header of an MP3.
    private func claimFrames(_ frames: UInt32, inInfoHeaderOf path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let tags = [Array("Info".utf8), Array("Xing".utf8)]
        let at = try #require((0..<(bytes.count - 12)).first { i in tags.contains { Array(bytes[i..<(i + 4)]) == $0 } })
        #expect(bytes[at + 7] & 1 == 1, "the frame-count field is present")
        for k in 0..<4 { bytes[at + 8 + k] = UInt8(truncatingIfNeeded: frames >> (8 * UInt32(3 - k))) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
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

}
