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

/// Numbers keyscan cannot have written are refused, with the field named (found by the
/// results fuzzer: a duration of 1e154 s did not print back as it was read).
@Suite struct ResultReaderRangeTests {
    static func line(_ replacing: String, with value: String) -> String {
        let ok = #"{"path": "/a.mp3", "status": "ok", "key": "A minor", "camelot": "8A", "openkey": "1m", "confidence": 0.9, "#
            + #""duration_s": 16.0, "tonality": 0.3, "tuning_cents": -0.4, "reference_hz": 439.9, "key_changes": 0, "#
            + #""segments": [{"start_s": 0.0, "end_s": 16.0, "key": "A minor", "camelot": "8A", "openkey": "1m", "confidence": 0.9}]}"#
        return ok.replacingOccurrences(of: replacing, with: value)
    }

    @Test func keyscansOwnNumbersRead() throws {
        #expect(try ResultReader.parse(Data(Self.line("", with: "").utf8), source: "r.jsonl").count == 1)
    }

    @Test(arguments: [
        (#""duration_s": 16.0"#, #""duration_s": 1e154"#, "\"duration_s\" is 1e+154, outside"),
        (#""duration_s": 16.0"#, #""duration_s": -1"#, "\"duration_s\" is -1.0, outside"),
        (#""confidence": 0.9, "duration_s""#, #""confidence": 1.5, "duration_s""#, "\"confidence\" is 1.5, outside 0.0…1.0"),
        (#""tuning_cents": -0.4"#, #""tuning_cents": -1e308"#, "\"tuning_cents\" is -1e+308, outside -50.0…50.0"),
        (#""tonality": 0.3"#, #""tonality": -0.1"#, "\"tonality\" is -0.1, outside"),
        (#""start_s": 0.0, "end_s": 16.0"#, #""start_s": 9.0, "end_s": 3.0"#, "a segment ends (3.0 s) before it starts (9.0 s)"),
    ])
    func outOfRangeIsMalformed(original: String, replacement: String, message: String) throws {
        let text = Self.line(original, with: replacement)
        #expect(text != Self.line("", with: ""), "the replacement applies")
        #expect(throws: ResultReadError.self) { try ResultReader.parse(Data(text.utf8), source: "r.jsonl") }
        do { _ = try ResultReader.parse(Data(text.utf8), source: "r.jsonl") } catch {
            #expect(error.description.contains("r.jsonl, line 1: ") && error.description.contains(message), "\(error)")
        }
    }
}
