import Foundation
import KeyscanTestSupport
import Testing

/// Damaged MP3 through the real binary on both front ends: the fast one decodes MP3 with
/// libmpg123, the exact one with FFmpeg, and a user must learn of the damage from either, in
/// the result's warnings, never from a C library writing to the terminal.
@Suite struct MP3DamageCommandTests {
    /// The damaged-input fixtures the decoder tests keep (found by fuzzing).
    static let fuzzFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KeyscanDecodeTests/Fixtures/fuzz")

    /// 4 KB of random bytes in the middle of an 8 s MP3, at three places: both front ends give
    /// the key and warn of skipped corrupt packets.
    @Test(arguments: [[String](), ["--exact"]])
    func randomBytesInTheMiddleAreReported(frontEnd: [String]) throws {
        let folder = try TemporaryFolder()
        let wav = folder.path("source.wav")
        try TestAudio.writeWAV(wav, mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 8))
        let mp3 = folder.path("source.mp3")
        try TestAudio.encode(wav, to: mp3, ["-b:a", "192k"])
        let bytes = try [UInt8](Data(contentsOf: mp3))
        try FileManager.default.removeItem(at: wav)
        try FileManager.default.removeItem(at: mp3)
        for (n, seed) in [(1, 7), (2, 8), (3, 9)] as [(Int, UInt64)] {
            var damaged = bytes
            let start = damaged.count * n / 4
            damaged.replaceSubrange(start..<(start + 4096), with: TestBytes.pseudoRandom(4096, seed: seed))
            try Data(damaged).write(to: folder.path("damaged \(n).mp3"))
        }

        let run = try KeyscanRun.run(["analyze", "--model", ShippedModelTests.weights.path, "--jobs", "1"] + frontEnd
                                     + [folder.url.path])

        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        let results = try run.results()
        #expect(results.count == 3)
        for result in results {
            #expect(result["camelot"] as? String == "8A", "\(result)")
            let warnings = result["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.hasPrefix("skipped") && $0.contains("corrupt packet") }, "\(result)")
        }
    }

    /// MP3s a fuzzer found making libmpg123 1.31 print "Unable to set up output format!" to
    /// stderr, which MPG123_QUIET does not silence (MPG123DecoderTests.fuzzedHeadersOfAnotherRate):
    /// nothing reaches stderr now, through `features` and `analyze`, and the damage is in the
    /// result's warnings.
    @Test func libmpg123PrintsNothing() throws {
        let fixtures = ["mpg123-readahead-5512hz.mp3", "mpg123-readahead-2000hz.mp3"].map {
            Self.fuzzFixtures.appendingPathComponent($0).path
        }
        let folder = try TemporaryFolder()
        let features = try KeyscanRun.run(["features", "--out", folder.path("features").path] + fixtures)
        #expect(features.stderr.isEmpty, "\(features.stderr)")

        let analyze = try KeyscanRun.run(["analyze", "--model", ShippedModelTests.weights.path] + fixtures)
        #expect(analyze.stderr.isEmpty, "\(analyze.stderr)")
        let results = try analyze.results()
        #expect(results.count == 2)
        for result in results {
            // Both are fragments of a second: too short for a key, damaged either way.
            let warnings = result["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("corrupt") }, "\(result)")
        }
    }
}
