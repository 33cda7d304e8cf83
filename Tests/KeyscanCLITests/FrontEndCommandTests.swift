import Foundation
import KeyscanTestSupport
import Testing

/// The two front ends through the real binary: which one a run takes (the weights' `front_end`,
/// or `--exact`), and that they agree.
@Suite struct FrontEndCommandTests {
    /// The identity `serve` announces in its ready line: the cache key, which names the front end.
    static func servedIdentity(_ arguments: [String]) throws -> String {
        let run = try KeyscanRun.run(["serve"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let first = try #require(run.stdout.split(separator: "\n").first)
        let ready = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        return try #require(ready["model"] as? String)
    }

    /// The shipped weights declare `front_end: fast`; the tiny test model declares nothing, as
    /// the reference's weights converted by convert_keynet.py, and gets the exact front end
    /// without being asked; `--exact` asks for it on any weights.
    @Test func theWeightsOrExactChooseTheFrontEnd() throws {
        let shipped = try Self.servedIdentity(["--model", ShippedModelTests.weights.path])
        let shippedExact = try Self.servedIdentity(["--model", ShippedModelTests.weights.path, "--exact"])
        let reference = try Self.servedIdentity(["--model", KeyscanRun.tinyModel])
        #expect(shipped.hasSuffix("/front-end-fast"), "\(shipped)")
        #expect(shippedExact.hasSuffix("/front-end-exact"), "\(shippedExact)")
        #expect(reference.hasSuffix("/front-end-exact"), "\(reference)")
        #expect(shipped.replacingOccurrences(of: "front-end-fast", with: "front-end-exact") == shippedExact)
    }

    /// Weights declaring a front end keyscan does not know are refused with the key named.
    @Test func anUnknownFrontEndIsRefused() throws {
        let folder = try TemporaryFolder()
        var bytes = try [UInt8](Data(contentsOf: ShippedModelTests.weights))
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let edited = Array(header.replacingOccurrences(of: "\"front_end\":\"fast\"", with: "\"front_end\":\"warp\"").utf8)
        #expect(edited.count == header.utf8.count && header.contains("\"front_end\":\"fast\""))
        bytes.replaceSubrange(8..<(8 + edited.count), with: edited)
        let weights = folder.path("warp.safetensors")
        try Data(bytes).write(to: weights)
        let run = try KeyscanRun.run(["analyze", "--model", weights.path, ShippedModelTests.weights.path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("front_end"), "\(run.stderr)")
    }

    /// A cached result of one front end is not the other's: a run with --exact after a fast
    /// run analyzes again, a second fast run is answered from the cache.
    @Test func theCacheKeepsTheFrontEndsApart() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("cadence.wav"), mono: TestAudio.cadence(tonic: 9, minor: true, seconds: 6))
        let cache = ["XDG_CACHE_HOME": folder.path("cache").path]
        let model = ["--model", ShippedModelTests.weights.path, "--format", "jsonl"]
        let fast = try KeyscanRun.run(["analyze"] + model + [folder.path("cadence.wav").path], environment: cache)
        let exact = try KeyscanRun.run(["analyze"] + model + ["--exact", folder.path("cadence.wav").path], environment: cache)
        let again = try KeyscanRun.run(["analyze"] + model + [folder.path("cadence.wav").path], environment: cache)
        #expect(!fast.stdout.contains("\"cached\": true"))
        #expect(!exact.stdout.contains("\"cached\": true"), "\(exact.stdout)")
        #expect(again.stdout.contains("\"cached\": true"), "\(again.stdout)")
        // A minor cadence in A: 8A either way.
        for run in [fast, exact] { #expect(run.stdout.contains("\"camelot\": \"8A\""), "\(run.stdout)") }
    }

    /// `features` writes the fast front end's input unless --exact: the same shape (the same
    /// frames, 5 a second), values within the two paths' difference, not bit for bit.
    @Test func featuresFollowExact() throws {
        let folder = try TemporaryFolder()
        let wav = folder.path("cadence.wav")
        try TestAudio.writeWAV(wav, mono: TestAudio.cadence(tonic: 2, minor: false, seconds: 4))
        let mp3 = folder.path("cadence.mp3")
        try TestAudio.encode(wav, to: mp3, ["-c:a", "libmp3lame", "-b:a", "192k"])
        try FileManager.default.removeItem(at: wav)
        func features(_ extra: [String], _ out: String) throws -> [Float] {
            let run = try KeyscanRun.run(["features", "--out", folder.path(out).path] + extra + [mp3.path])
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            let data = try Data(contentsOf: folder.path(out).appendingPathComponent("cadence.npy"))
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
            #expect(header.contains("'shape': (105, 19)"), "\(header)")
            return data.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let fast = try features([], "fast"), exact = try features(["--exact"], "exact")
        #expect(fast.count == exact.count)
        let largest = zip(fast, exact).map { abs($0 - $1) }.max() ?? 0
        // Not the same numbers (another decoder and rate), but close: log1p values of up to
        // ~3 differ by a few hundredths where the MP3's two decoders and the two transforms'
        // edges differ most (0.034 measured on a real 5-minute MP3; mean 9·10⁻⁵).
        #expect(largest > 0 && largest < 0.1, "largest difference \(largest)")
    }
}
