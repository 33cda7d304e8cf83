import Foundation
import Testing

/// The key timeline and the tuning estimate, end to end with the shipped model, in every
/// output format and in `serve`.
@Suite struct TimelineCommandTests {
    /// 30 s of C major cadences, then 30 s in A major: a modulation up a minor third.
    static func modulation() -> [Float] {
        TestAudio.cadence(tonic: 0, minor: false, seconds: 30) + TestAudio.cadence(tonic: 9, minor: false, seconds: 30)
    }

    static func segments(_ result: [String: Any]) -> [(start: Double, end: Double, camelot: String)] {
        ((result["segments"] as? [[String: Any]]) ?? []).map {
            ($0["start_s"] as? Double ?? -1, $0["end_s"] as? Double ?? -1, $0["camelot"] as? String ?? "")
        }
    }

    @Test func modulationDetuneAndOneKeyAsJSONLines() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("modulation.wav"), mono: Self.modulation())
        try TestAudio.writeWAV(folder.path("d-minor.wav"), mono: TestAudio.cadence(tonic: 2, minor: true, seconds: 50))
        try TestAudio.writeWAV(folder.path("sharp.wav"), mono: TestAudio.cadence(tonic: 7, minor: false, seconds: 20, cents: 30))
        try TestAudio.writeWAV(folder.path("silence.wav"), mono: [Float](repeating: 0, count: 5 * TestAudio.rate))
        try Data("not audio".utf8).write(to: folder.path("notes.mp3"))
        let run = try KeyscanRun.run(["analyze", "--format", "jsonl", "--model", ShippedModelTests.weights.path, folder.url.path])
        #expect(run.status == 1, "notes.mp3 fails; stderr: \(run.stderr)")
        let results = Dictionary(uniqueKeysWithValues: run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.map { (URL(fileURLWithPath: $0["path"] as! String).lastPathComponent, $0) })

        let modulation = try #require(results["modulation.wav"])
        let segments = Self.segments(modulation)
        #expect(segments.map(\.camelot) == ["8B", "11B"], "\(segments)")
        #expect(modulation["key_changes"] as? Int == 1)
        if segments.count == 2 {
            #expect(abs(segments[0].end - 30) <= 3, "boundary at \(segments[0].end) s, the key changes at 30 s")
            #expect(segments[0].start == 0 && segments[1].start == segments[0].end && segments[1].end == 60)
        }

        let oneKey = try #require(results["d-minor.wav"])
        #expect(Self.segments(oneKey).map(\.camelot) == ["7A"])
        #expect(oneKey["key_changes"] as? Int == 0 && oneKey["camelot"] as? String == "7A")
        #expect(abs((oneKey["tuning_cents"] as? Double ?? 99)) <= 3, "in tune: \(oneKey["tuning_cents"] ?? "none")")

        let sharp = try #require(results["sharp.wav"])
        let cents = try #require(sharp["tuning_cents"] as? Double)
        #expect(abs(cents - 30) <= 3, "+30 cents reported as \(cents)")
        // Both rounded as printed: cents to 0.1 (0.013 Hz at 440 Hz), Hz to 0.01.
        #expect(abs((sharp["reference_hz"] as? Double ?? 0) - 440 * pow(2, cents / 1200)) < 0.02)
        #expect(sharp["camelot"] as? String == "9B")

        // Files without a key have no timeline and no tuning; their fields are as before.
        for name in ["silence.wav", "notes.mp3"] {
            let result = try #require(results[name])
            #expect(Set(result.keys).isDisjoint(with: ["segments", "key_changes", "tuning_cents", "reference_hz"]), "\(name): \(result)")
        }
        #expect(results["silence.wav"]?["status"] as? String == "no_key")
        #expect(results["notes.mp3"]?["status"] as? String == "error")
    }

    @Test func csvAndServeCarryTheTimeline() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("modulation.wav")
        try TestAudio.writeWAV(file, mono: Self.modulation())

        let csv = try KeyscanRun.run(["analyze", "--format", "csv", "--no-cache", "--model", ShippedModelTests.weights.path, file.path])
        #expect(csv.status == 0, "stderr: \(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix(",tuning_cents,reference_hz,key_changes,segments") == true)
        let row = lines.count == 2 ? lines[1] : ""
        // One compact column: `0:00-0:30 8B; 0:30-1:00 11B` (the boundary within 3 s of 0:30).
        let compact = try #require(row.split(separator: ",").last.map(String.init))
        #expect(compact.wholeMatch(of: /0:00-0:(2[7-9]|3[0-3]) 8B; 0:(2[7-9]|3[0-3])-1:00 11B/) != nil, "\(row)")
        #expect(row.contains(",1,0:00-"), "key_changes 1: \(row)")

        let server = try ServerProcess(["serve", "--no-cache", "--model", ShippedModelTests.weights.path])
        #expect(server.wait { $0.first?["type"] as? String == "ready" })
        server.send(id: "m", path: file.path)
        #expect(server.finish() == 0)
        let reply = try #require(server.replies.first)
        #expect(reply["status"] as? String == "success")
        #expect(Self.segments(reply).map(\.camelot) == ["8B", "11B"])
        #expect(reply["key_changes"] as? Int == 1)
        #expect(abs((reply["tuning_cents"] as? Double ?? 99)) <= 3)
        #expect(reply["reference_hz"] is Double)
    }

    /// A finer resolution may split more; a coarser one than the track is one segment; a
    /// resolution under one column (1.6 s) is a usage error.
    @Test func timelineResolutionOption() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("modulation.wav")
        try TestAudio.writeWAV(file, mono: Self.modulation())
        let coarse = try KeyscanRun.run(["analyze", "--no-cache", "--timeline-resolution", "40", "--model",
                                         ShippedModelTests.weights.path, file.path])
        #expect(coarse.status == 0, "stderr: \(coarse.stderr)")
        #expect(try coarse.results().first.map { Self.segments($0).count } == 1)
        let bad = try KeyscanRun.run(["analyze", "--timeline-resolution", "1", file.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--timeline-resolution must be between 1.6 and 3600 seconds, got 1.0"), "\(bad.stderr)")
    }

    /// The evaluation's hidden key-change cost: 0 keeps every column's own key (more segments
    /// than the shipped model's cost gives), a negative one is a usage error.
    @Test func timelineSwitchPenaltyOption() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("modulation.wav")
        try TestAudio.writeWAV(file, mono: Self.modulation())
        func segments(_ penalty: String?) throws -> Int {
            let run = try KeyscanRun.run(["analyze", "--no-cache", "--timeline-resolution", "1.6", "--model",
                                          ShippedModelTests.weights.path, file.path]
                                         + (penalty.map { ["--timeline-switch-penalty", $0] } ?? []))
            #expect(run.status == 0, "stderr: \(run.stderr)")
            return try #require(try run.results().first.map { Self.segments($0).count })
        }
        #expect(try segments("0") > segments(nil))
        let bad = try KeyscanRun.run(["analyze", "--timeline-switch-penalty=-1", file.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--timeline-switch-penalty must be 0 or more, got -1.0"), "\(bad.stderr)")
    }
}
