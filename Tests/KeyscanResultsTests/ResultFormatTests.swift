import Foundation
import Testing
@testable import KeyscanResults

@Suite struct ResultFormatTests {
    let ok: AnalysisResult = {
        var logits = [Float](repeating: 0, count: 24)
        logits[7] = 4
        logits[19] = 2
        return AnalysisResult(path: "/music/a \"quoted\", track.mp3",
                              outcome: .success(KeyEstimate(logits: logits), durationSeconds: 241.25))
    }()
    let noise = AnalysisResult(path: "/music/hiss.wav",
                               outcome: .noKey(code: "no_tonal_content", message: "no tonal content", durationSeconds: 12.5),
                               tonality: 0.0042)
    let failed = AnalysisResult(path: "/music/😀 日本.mp3",
                                outcome: .failure(code: "not_audio", message: "no\nformat"))

    @Test func jsonHasTheDocumentedFieldsInOrder() throws {
        let text = ok.json.serialized
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["path"] as? String == "/music/a \"quoted\", track.mp3")
        #expect(object["status"] as? String == "ok")
        #expect(object["key"] as? String == "A minor")
        #expect(object["camelot"] as? String == "8A")
        #expect(object["openkey"] as? String == "1m")
        #expect((object["alternatives"] as? [[String: Any]])?.count == 3)
        #expect((object["alternatives"] as? [[String: Any]])?.first?["camelot"] as? String == "8B")
        #expect(object["duration_s"] as? Double == 241.25)
        let order = ["\"path\"", "\"status\"", "\"key\"", "\"camelot\"", "\"openkey\"", "\"confidence\"", "\"alternatives\"", "\"duration_s\""]
        let positions = order.map { text.range(of: $0)!.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func tonalityFollowsTheDurationWhenMeasured() throws {
        let measured = AnalysisResult(path: ok.path, outcome: ok.outcome, tonality: 0.23456)
        let text = measured.json.serialized
        #expect(text.hasSuffix("\"duration_s\": 241.25, \"tonality\": 0.2346}"))
        #expect(!ok.json.serialized.contains("tonality"), "absent when not measured")
    }

    @Test func noKeyIsItsOwnStatusWithAReason() throws {
        let text = noise.json.serialized
        #expect(text == #"{"path": "/music/hiss.wav", "status": "no_key", "reason": {"code": "no_tonal_content", "message": "no tonal content"}, "duration_s": 12.50, "tonality": 0.0042}"#)
        #expect(!noise.failed && !noise.succeeded, "neither a key nor a failure")
        #expect(noise.csvRow == "/music/hiss.wav,no_key,,,,,12.50,no_tonal_content,no tonal content,false,,,,,,,")
    }

    @Test func errorsCarryCodeAndMessageAndSurviveAnyPath() throws {
        let text = failed.json.serialized
        #expect(!text.contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["path"] as? String == "/music/😀 日本.mp3")
        #expect(object["status"] as? String == "error")
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "not_audio")
        #expect(error["message"] as? String == "no\nformat")
    }

    @Test func jsonArrayParses() throws {
        let format = ResultFormat.json
        var text = format.header
        for (i, r) in [ok, failed].enumerated() { text += format.line(for: r, index: i) }
        text += format.footer(count: 2)
        let array = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])
        #expect(array.count == 2)
        let empty = format.header + format.footer(count: 0)
        #expect((try JSONSerialization.jsonObject(with: Data(empty.utf8)) as? [Any])?.isEmpty == true)
    }

    @Test func tagReportsFollowTheKeyAndSayWhyTheyFailed() throws {
        var written = ok
        written.tag = TagReport(status: .written, value: "Am")
        let text = written.json.serialized
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let tag = try #require(object["tag"] as? [String: Any])
        #expect(tag.count == 2, "no message unless failed: \(tag)")
        #expect(tag["status"] as? String == "written")
        #expect(tag["value"] as? String == "Am")
        #expect(text.range(of: "\"duration_s\"")!.lowerBound < text.range(of: "\"tag\"")!.lowerBound)
        #expect(ok.json.serialized.contains("\"tag\"") == false, "no tag field without --write-tags")
        #expect(!written.failed)

        var failedTag = ok
        failedTag.tag = TagReport(status: .failed, value: "8A", message: "cannot write, the file is unchanged")
        let failedObject = try #require(JSONSerialization.jsonObject(with: Data(failedTag.json.serialized.utf8)) as? [String: Any])
        #expect((failedObject["tag"] as? [String: Any])?["message"] as? String == "cannot write, the file is unchanged")
        #expect(failedObject["status"] as? String == "ok", "the key is still reported")
        #expect(failedTag.succeeded && failedTag.failed, "a failed tag write counts as a failure for the exit status")
        #expect(failedTag.csvRow.hasSuffix(",failed,8A,\"cannot write, the file is unchanged\",,,,"))
        #expect(written.csvRow.hasSuffix(",written,Am,,,,,"))
    }

    /// A track that modulates: two segments, in JSON after the tonality, in CSV as one column.
    let modulating = AnalysisResult(
        path: "/music/mix.mp3", outcome: .success(KeyEstimate(logits: (0..<24).map { $0 == 19 ? 3 : 0 }), durationSeconds: 3725.5),
        tonality: 0.2,
        segments: [KeySegment(start: 0, end: 161.6, key: MusicalKey(index: 19)!, confidence: 0.81234),
                   KeySegment(start: 161.6, end: 3725.5, key: MusicalKey(index: 21)!, confidence: 0.5)],
        tuning: Tuning(cents: -31.77))

    @Test func timelineAndTuningFollowTheTonality() throws {
        let text = modulating.json.serialized
        #expect(text.hasSuffix(#""tonality": 0.2000, "tuning_cents": -31.8, "reference_hz": 432.00, "key_changes": 1, "segments": [{"start_s": 0.00, "end_s": 161.60, "key": "C major", "camelot": "8B", "openkey": "1d", "confidence": 0.8123}, {"start_s": 161.60, "end_s": 3725.50, "key": "D major", "camelot": "10B", "openkey": "3d", "confidence": 0.5000}]}"#))
        for result in [noise, failed, ok] {
            for field in ["tuning_cents", "reference_hz", "key_changes", "segments"] {
                #expect(!result.json.serialized.contains(field), "\(field) only when the analysis gave it")
            }
        }
    }

    @Test func csvGivesTheSegmentsInOneCompactColumn() {
        #expect(ResultFormat.csv.header.hasSuffix(",tag_message,tuning_cents,reference_hz,key_changes,segments"))
        #expect(modulating.csvRow.hasSuffix(",false,,,,-31.8,432.00,1,0:00-2:41 8B; 2:41-1:02:05 10B"))
        #expect(KeySegment.clock(59.99) == "0:59" && KeySegment.clock(3600) == "1:00:00")
    }

    @Test func csvQuotesWhatNeedsQuoting() {
        #expect(ok.csvRow.hasPrefix("\"/music/a \"\"quoted\"\", track.mp3\",ok,A minor,8A,1m,"))
        #expect(failed.csvRow == "/music/😀 日本.mp3,error,,,,,,not_audio,\"no\nformat\",false,,,,,,,")
        #expect(ResultFormat.csv.header.split(separator: ",").count == ok.csvRow.split(separator: ",", omittingEmptySubsequences: false).count - 1)
    }
}
