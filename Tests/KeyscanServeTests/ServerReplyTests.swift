import Foundation
import KeyscanResults
import Testing
@testable import KeyscanServe

@Suite struct ServerReplyTests {
    /// A success carries the timeline and tuning after openkeyscan's fields; no_key and
    /// errors carry neither.
    @Test func successRepliesCarryTheTimelineAndTuning() throws {
        let estimate = KeyEstimate(logits: (0..<24).map { $0 == 19 ? 3 : 0 })
        let segments = [KeySegment(start: 0, end: 30.4, key: MusicalKey(index: 19)!, confidence: 0.8),
                        KeySegment(start: 30.4, end: 60, key: MusicalKey(index: 22)!, confidence: 0.7)]
        let result = AnalysisResult(path: "/m/a.wav", outcome: .success(estimate, durationSeconds: 60), tonality: 0.25,
                                    segments: segments, tuning: Tuning(cents: 30))
        let text = ServerReply.analysis(result, id: .integer(4), generation: 0).serialized
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "success")
        #expect(object["tuning_cents"] as? Double == 30.0)
        #expect(object["reference_hz"] as? Double == 447.69)
        #expect(object["key_changes"] as? Int == 1)
        let replied = try #require(object["segments"] as? [[String: Any]])
        #expect(replied.map { $0["camelot"] as? String } == ["8B", "11B"])
        #expect(replied.last?["start_s"] as? Double == 30.4 && replied.last?["end_s"] as? Double == 60)
        #expect(text.range(of: "\"duration_s\"")!.lowerBound < text.range(of: "\"segments\"")!.lowerBound)

        let noKey = AnalysisResult(path: "/m/hiss.wav", outcome: .noKey(code: "silent", message: "silent", durationSeconds: 3))
        let failed = AnalysisResult(path: "/m/x.mp3", outcome: .failure(code: "not_audio", message: "not audio"))
        for other in [noKey, failed] {
            let reply = ServerReply.analysis(other, id: .string("b"), generation: 1).serialized
            #expect(!reply.contains("segments") && !reply.contains("tuning_cents"))
        }
    }
}
