import Foundation
import Testing
import Keyscan
import KeyscanResults

/// One file through the whole pipeline, with the tiny test model (wrong keys, right shapes).
@Suite struct AnalyzerTests {
    static let tinyModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KeyscanModelTests/Fixtures/keynet-nf4.safetensors").path
    static let analyzer = try! Analyzer(modelPath: tinyModel)

    func analyze(_ samples: [Float], limits: AnalysisLimits = .default,
                 isCancelled: (@Sendable () -> Bool)? = nil) throws -> AnalysisResult {
        let folder = try TemporaryFolder()
        let file = folder.path("x.wav")
        try writeWAV(file, samples)
        let workspace = Analyzer.Workspace(for: Self.analyzer)
        return Self.analyzer.analyze(path: file.path, workspace: workspace, limits: limits, isCancelled: isCancelled).0
    }

    /// The tiny model's file with `metadata` merged into its header (tensors unchanged).
    static func tinyModel(with metadata: [String: String], in folder: TemporaryFolder) throws -> String {
        let blob = try Data(contentsOf: URL(fileURLWithPath: tinyModel))
        let length = Int(blob.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        var header = try #require(try JSONSerialization.jsonObject(with: blob.subdata(in: 8..<(8 + length))) as? [String: Any])
        header["__metadata__"] = (header["__metadata__"] as? [String: String] ?? [:]).merging(metadata) { $1 }
        var text = try JSONSerialization.data(withJSONObject: header)
        text.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8))
        var file = withUnsafeBytes(of: UInt64(text.count).littleEndian) { Data($0) }
        file.append(text)
        file.append(blob.subdata(in: (8 + length)..<blob.count))
        let url = folder.path("model.safetensors")
        try file.write(to: url)
        return url.path
    }

    @Test func timelineKeyChangeCostComesFromTheModel() throws {
        #expect(Self.analyzer.timeline.switchPenalty == KeyTimeline.defaultSwitchPenalty)
        let folder = try TemporaryFolder()
        let tuned = try Self.tinyModel(with: ["timeline_switch_penalty": "96.5"], in: folder)
        let declared = try Analyzer(modelPath: tuned)
        #expect(declared.timeline.switchPenalty == 96.5)
        #expect(declared.timeline.resolution == KeyTimeline.defaultResolution)
        #expect(declared.identity.contains("timeline-16.0-96.5"))
        // --timeline-switch-penalty (the evaluation's search) overrides the model's.
        let searched = try Analyzer(modelPath: tuned, timelineResolution: 8, timelineSwitchPenalty: 30)
        #expect(searched.timeline == KeyTimeline(resolution: 8, switchPenalty: 30))
    }

    @Test func musicGetsAKeyAndItsTonality() throws {
        let result = try analyze(TestSignals.chord(seconds: 4))
        guard case .success(_, let duration) = result.outcome else { Issue.record("\(result)"); return }
        #expect(abs(duration - 4) < 1e-9)
        #expect(try #require(result.tonality) > Tonality.threshold)
    }

    @Test func noiseAndSilenceGetNoKey() throws {
        let noise = try analyze(TestSignals.whiteNoise(seconds: 4))
        guard case .noKey(let code, let message, _) = noise.outcome else { Issue.record("\(noise)"); return }
        #expect(code == "no_tonal_content")
        #expect(message.contains("no tonal content"))
        #expect(try #require(noise.tonality) < Tonality.threshold)
        #expect(!noise.failed)

        let silence = try analyze([Float](repeating: 0, count: 3 * 44100))
        guard case .noKey(let silentCode, _, let seconds) = silence.outcome else { Issue.record("\(silence)"); return }
        #expect(silentCode == "silent")
        #expect(seconds == 3)
    }

    @Test func cancelledFromTheStart() throws {
        let result = try analyze(TestSignals.chord(seconds: 4), isCancelled: { true })
        #expect(result.outcome.errorCode == "cancelled", "\(result)")
    }

    @Test func cancelledMidFileStopsDecoding() throws {
        // Cancelled at the fourth poll, early in a 60 s file: decoding stops at its next
        // check instead of running to the end, and nothing is measured.
        let polls = Counter()
        let result = try analyze(TestSignals.whiteNoise(seconds: 60), isCancelled: { polls.increment() > 3 })
        #expect(result.outcome.errorCode == "cancelled", "\(result)")
        #expect(result.tonality == nil)
    }

    @Test func timeoutNamesTheLimit() throws {
        // 0 s per audio second: only 1 ms for a 30 s file, which takes tens of milliseconds.
        let result = try analyze(TestSignals.whiteNoise(seconds: 30), limits: AnalysisLimits(baseSeconds: 0.001, secondsPerAudioSecond: 0))
        guard case .failure(let code, let message) = result.outcome else { Issue.record("\(result)"); return }
        #expect(code == "timeout")
        #expect(message.contains("0.00 s + 0.00 s per second of audio"), "\(message)")
    }
}

extension AnalysisResult.Outcome {
    var errorCode: String? {
        if case .failure(let code, _) = self { code } else { nil }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
}
