import Foundation
import Testing

/// The model in Weights/, found the way users find it: no --model.
@Suite struct ShippedModelTests {
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Weights/keyscan.safetensors")

    /// A quick sanity check, not the evaluation (tools/evaluation/evaluate, Weights/README.md): a
    /// plain I–IV–V–I (i–iv–V–i) cadence in each of the 24 keys gets its key.
    @Test func findsCadencesInAll24Keys() throws {
        #expect(FileManager.default.fileExists(atPath: Self.weights.path), "Weights/keyscan.safetensors is missing")
        let folder = try TemporaryFolder()
        var expected: [String: String] = [:]
        for minor in [false, true] {
            for tonic in 0..<12 {
                let name = String(format: "%02d-%@.wav", tonic, minor ? "minor" : "major")
                try TestAudio.writeWAV(folder.path(name), mono: TestAudio.cadence(tonic: tonic, minor: minor, seconds: 8))
                expected[name] = TestAudio.camelot(tonic: tonic, minor: minor)
            }
        }
        let run = try KeyscanRun.run(["analyze", folder.url.path], environment: ["KEYSCAN_MODEL": ""])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let found = Dictionary(uniqueKeysWithValues: try run.results().map {
            (URL(fileURLWithPath: $0["path"] as! String).lastPathComponent, $0["camelot"] as? String ?? "error")
        })
        let wrong = expected.filter { found[$0.key] != $0.value }.map { "\($0.key): expected \($0.value), got \(found[$0.key] ?? "nothing")" }
        #expect(wrong.isEmpty, "\(wrong.sorted())")
    }
}
