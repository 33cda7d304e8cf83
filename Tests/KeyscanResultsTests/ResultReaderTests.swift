import Foundation
import Testing
@testable import KeyscanResults

@Suite struct ResultReaderTests {
    static let results: [AnalysisResult] = {
        var logits = [Float](repeating: 0, count: 24)
        logits[7] = 4; logits[19] = 2.5; logits[6] = 1; logits[10] = 0.5
        let segments = [KeySegment(start: 0, end: 30.5, key: MusicalKey(parsing: "8B")!, confidence: 0.81),
                        KeySegment(start: 30.5, end: 61, key: MusicalKey(parsing: "11B")!, confidence: 0.7734)]
        return [
            AnalysisResult(path: "/music/a \"quoted\", track.mp3", outcome: .success(KeyEstimate(logits: logits), durationSeconds: 61),
                           warnings: ["corrupt packets skipped"], tonality: 0.2345, segments: segments, tuning: Tuning(cents: -31.8),
                           isCached: true, tag: TagReport(status: .failed, value: "Am", message: "read-only")),
            AnalysisResult(path: "/music/hiss.wav", outcome: .noKey(code: "no_tonal_content", message: "no tonal content", durationSeconds: 12.5),
                           tonality: 0.0042),
            AnalysisResult(path: "/music/😀 日本.mp3", outcome: .failure(code: "not_audio", message: "no\nformat")),
        ]
    }()

    /// Written as JSON lines or a JSON array, read back, written again: the same text.
    @Test func writerThenReaderThenWriterIsTheSameText() throws {
        for format in [ResultFormat.json, .jsonl] {
            let text = format.header + Self.results.enumerated()
                .map { format.line(for: $1, index: $0) }.joined(separator: format == .jsonl ? "\n" : "") + format.footer(count: Self.results.count)
            let read = try ResultReader.parse(Data(text.utf8), source: "results")
            #expect(read.map(\.json.serialized) == Self.results.map(\.json.serialized), "\(format)")
            #expect(read[0].segments == Self.results[0].segments && read[0].tuning == Self.results[0].tuning)
        }
    }

    @Test func malformedLinesAreNamedByNumber() {
        let good = Self.results[1].json.serialized
        #expect(throws: ResultReadError.malformed(path: "r.jsonl", line: 2, reason: "not JSON")) {
            try ResultReader.parse(Data("\(good)\n{\"path\": \"x\", \"status\n".utf8), source: "r.jsonl")
        }
        #expect(throws: ResultReadError.malformed(path: "r.jsonl", line: 1, reason: "no \"status\"")) {
            try ResultReader.parse(Data("{\"path\": \"x\"}\n".utf8), source: "r.jsonl")
        }
        #expect(throws: ResultReadError.malformed(path: "r.json", line: nil, reason: "result 1: \"ZZ\" is not a Camelot key")) {
            try ResultReader.parse(Data(#"[{"path": "x", "status": "ok", "camelot": "ZZ", "confidence": 1, "duration_s": 3}]"#.utf8), source: "r.json")
        }
        #expect(throws: ResultReadError.self) { try ResultReader.read(URL(fileURLWithPath: "/nonexistent/results.json")) }
        #expect((try? ResultReader.parse(Data("\n\n".utf8), source: "empty"))?.isEmpty == true)
    }
}
