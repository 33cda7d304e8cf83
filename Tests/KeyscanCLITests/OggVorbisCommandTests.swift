import Foundation
import KeyscanTestSupport
import Testing

/// Ogg Vorbis through the real binary and the shipped model: the file FFmpeg 5.1 refuses
/// gets its key with a warning, the forced libvorbisfile path gives FFmpeg's key, and an
/// Ogg Vorbis file neither library reads is `decode_failed` with both reasons.
@Suite struct OggVorbisCommandTests {
    /// Kept beside the decoder's tests; its README gives its source and licence.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KeyscanDecodeTests/Fixtures/ogg/ogg-ffmpeg51-rejects.ogg")
    static let shippedModel = ["KEYSCAN_MODEL": ""]

    @Test func fileFFmpegRefusesGetsTheKeyOfItsRepairedCopy() throws {
        let folder = try TemporaryFolder()
        let repaired = folder.path("repaired.ogg")
        // The same audio without the repeated header set, which FFmpeg reads.
        var pages = try #require(OggPage.parse([UInt8](Data(contentsOf: Self.fixture))))
        var headers = 0
        for i in pages.indices {
            pages[i].packets.removeAll { packet in
                guard OggPage.isVorbisHeader(packet) else { return false }
                headers += 1
                return headers > 3
            }
        }
        try Data(OggPage.write(pages.filter { !$0.packets.isEmpty })).write(to: repaired)

        let run = try KeyscanRun.run(["analyze", "--format", "jsonl", Self.fixture.path, repaired.path],
                                     environment: Self.shippedModel)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let results = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let original = try #require(results.first { $0["path"] as? String == Self.fixture.path })
        let copy = try #require(results.first { $0["path"] as? String == repaired.path })
        #expect(original["status"] as? String == "ok")
        #expect(original["warnings"] as? [String] == ["decoded with libvorbisfile: FFmpeg's Ogg demuxer failed "
                                                      + "(avformat_open_input: Invalid data found when processing input)"])
        #expect(copy["warnings"] == nil)
        #expect(original["camelot"] as? String == copy["camelot"] as? String)
        let confidence = try #require(original["confidence"] as? Double), copyConfidence = try #require(copy["confidence"] as? Double)
        // Samples within 2.4·10⁻⁷ of each other (KeyscanDecodeTests): the printed
        // confidences (4 decimals) agree.
        #expect(abs(confidence - copyConfidence) < 1e-3)
        #expect(original["duration_s"] as? Double == 14.38)
    }

    /// --write-tags on the file FFmpeg refuses: its packets are checked through libogg, the
    /// tag is written, a second run finds it, and every packet but the comment is as it was.
    @Test func fileFFmpegRefusesGetsItsKeyTag() throws {
        let folder = try TemporaryFolder()
        let copy = folder.path("caribbean.ogg")
        try FileManager.default.copyItem(at: Self.fixture, to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.path)
        let before = try #require(OggPage.parse([UInt8](Data(contentsOf: copy))))

        let first = try KeyscanRun.run(["analyze", "--write-tags", copy.path], environment: Self.shippedModel)
        let second = try KeyscanRun.run(["analyze", "--write-tags", copy.path], environment: Self.shippedModel)

        #expect(first.status == 0 && second.status == 0, "\(first.stdout) \(second.stdout)")
        let written = try #require(try first.results().first?["tag"] as? [String: Any])
        let kept = try #require(try second.results().first?["tag"] as? [String: Any])
        #expect(written["status"] as? String == "written", "\(written)")
        #expect(kept["status"] as? String == "kept" && kept["value"] as? String == written["value"] as? String, "\(kept)")
        let after = try #require(OggPage.parse([UInt8](Data(contentsOf: copy))))
        var packets = (before.flatMap(\.packets), after.flatMap(\.packets))
        #expect(packets.0.count == packets.1.count)
        packets.0.remove(at: 1)  // the first comment header, where the tag goes
        packets.1.remove(at: 1)
        #expect(packets.0 == packets.1, "the audio packets and the other headers are untouched")
    }

    /// KEYSCAN_TEST_FORCE_LIBVORBISFILE=1 sends every Ogg Vorbis file through the fallback,
    /// and only those: the same keys as FFmpeg's path.
    @Test func forcedLibvorbisfileGivesFFmpegsKeys() throws {
        let folder = try TemporaryFolder()
        let wav = folder.path("source.wav")
        var outputs: [(URL, [String])] = []
        for (tonic, minor) in [(9, true), (2, false)] {
            let chord = TestAudio.cadence(tonic: tonic, minor: minor, seconds: 8)
            try TestAudio.writeWAV(wav, channels: [chord, chord])
            outputs = [(folder.path("\(tonic)-\(minor).ogg"), ["-c:a", "libvorbis"]),
                       (folder.path("\(tonic)-\(minor).mp3"), ["-b:a", "192k"])]
            try TestAudio.encode(wav, outputs: outputs)
        }
        try FileManager.default.removeItem(at: wav)

        let ffmpeg = try KeyscanRun.run(["analyze", folder.url.path], environment: Self.shippedModel)
        let forced = try KeyscanRun.run(["analyze", folder.url.path],
                                        environment: Self.shippedModel.merging(["KEYSCAN_TEST_FORCE_LIBVORBISFILE": "1"]) { $1 })
        #expect(ffmpeg.status == 0 && forced.status == 0, "\(ffmpeg.stderr) \(forced.stderr)")
        let expected = try ffmpeg.results(), results = try forced.results()
        #expect(results.count == 4 && expected.count == 4)
        for (result, reference) in zip(results, expected) {
            let name = URL(fileURLWithPath: result["path"] as! String).lastPathComponent
            #expect(result["camelot"] as? String == reference["camelot"] as? String, "\(name)")
            #expect(abs((result["confidence"] as? Double ?? 0) - (reference["confidence"] as? Double ?? 1)) < 1e-3, "\(name)")
            #expect(reference["warnings"] == nil, "\(name)")
            let warnings = name.hasSuffix(".ogg") ? ["decoded with libvorbisfile, forced for testing"] : nil
            #expect(result["warnings"] as? [String] == warnings, "\(name)")
        }
        #expect(results.map { $0["camelot"] as? String } == ["10B", "10B", "8A", "8A"], "D major, A minor")
    }

    /// Ogg Vorbis whose setup header is damaged: audio no decoder reads, not "not audio".
    @Test func oggVorbisNoLibraryReadsIsDecodeFailedWithBothReasons() throws {
        let folder = try TemporaryFolder()
        let source = folder.path("source.wav"), path = folder.path("damaged.ogg")
        try TestAudio.writeWAV(source, mono: TestAudio.cadence(tonic: 0, minor: false, seconds: 4))
        try TestAudio.encode(source, to: path, ["-c:a", "libvorbis"])
        var pages = try #require(OggPage.parse([UInt8](Data(contentsOf: path))))
        // The setup header ends the second page; garble all but its first 12 bytes.
        let setup = pages[1].packets.count - 1
        let noise = TestBytes.pseudoRandom(pages[1].packets[setup].count, seed: 4)
        for i in 12..<noise.count { pages[1].packets[setup][i] = noise[i] }
        try Data(OggPage.write(pages)).write(to: path)

        let run = try KeyscanRun.run(["analyze", "--format", "jsonl", path.path], environment: Self.shippedModel)
        #expect(run.status == 1)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let error = try #require(result["error"] as? [String: Any])
        #expect(error["code"] as? String == "decode_failed")
        let message = error["message"] as? String ?? ""
        #expect(message.hasPrefix("decoding \(path.path) failed (FFmpeg: avformat_open_input: "), "\(message)")
        #expect(message.contains("; libvorbisfile: ov_open_callbacks: "), "\(message)")
    }
}
