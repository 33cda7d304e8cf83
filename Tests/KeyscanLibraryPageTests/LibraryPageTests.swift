import Foundation
import KeyscanResults
import Testing
@testable import KeyscanLibraryPage

@Suite struct LibraryPageTests {
    static func result(_ path: String, _ keys: [String], cents: Double = 0, confidence: Double = 0.9) -> AnalysisResult {
        let estimate = KeyEstimate(probabilities: (0..<24).map { $0 == MusicalKey(parsing: keys[0])!.index ? confidence : (1 - confidence) / 23 })
        let length = 60.0 * Double(keys.count)
        let segments = keys.enumerated().map { i, key in
            KeySegment(start: 60 * Double(i), end: 60 * Double(i + 1), key: MusicalKey(parsing: key)!, confidence: confidence)
        }
        return AnalysisResult(path: path, outcome: .success(estimate, durationSeconds: length), segments: segments, tuning: Tuning(cents: cents))
    }

    static let library: [AnalysisResult] = [
        result("/music/house/one.mp3", ["8A"]),
        result("/music/house/modulates.mp3", ["8B", "11B"], cents: -12.3),
        result("/music/house/next.mp3", ["12B"]),
        result("/music/</script><!--/tricky.mp3", ["9A"], confidence: 0.5),
        AnalysisResult(path: "/music/broken.mp3", outcome: .failure(code: "not_audio", message: "/music/broken.mp3 is not audio")),
        AnalysisResult(path: "/music/hiss.wav", outcome: .noKey(code: "silent", message: "silent", durationSeconds: 3)),
    ]

    /// The embedded data, parsed as the page's script parses it.
    static func data(_ html: String) throws -> [String: Any] {
        let start = try #require(html.range(of: "<script type=\"application/json\" id=\"library-data\">"))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        return try #require(JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
    }

    @Test func dataHoldsTracksTimelinesMixesAndFailures() throws {
        let html = LibraryPage(results: Self.library).html
        let data = try Self.data(html)
        let folders = try #require(data["folders"] as? [String])
        let tracks = try #require(data["tracks"] as? [[Any]])
        #expect(folders == ["/music/house", "/music/</script><!--"])
        #expect(tracks.map { $0[1] as? String } == ["one.mp3", "modulates.mp3", "next.mp3", "tricky.mp3"])
        let modulates = tracks[1]
        #expect(modulates[2] as? Int == MusicalKey(parsing: "8B")!.index && modulates[4] as? Int == -123 && modulates[5] as? Int == 1200)
        // Flat segments: end (0.1 s), key, confidence ‰.
        #expect(modulates[6] as? [Int] == [600, 19, 900, 1200, 22, 900])
        #expect(tracks[0][6] as? [Int] == [], "one key: no segments stored")
        // From its last key, 11B, the modulation mixes into next.mp3 (12B, +1).
        #expect(modulates[7] as? [Int] == [2, 1, 23])
        // one.mp3 (8A) → modulates.mp3 opens in 8B: relative; → tricky (9A): +1, low confidence (16).
        #expect(tracks[0][7] as? [Int] == [3, 1 + 16, 8, 1, 3, 19])
        #expect((data["failed"] as? [[String]])?.first == ["/music/broken.mp3", "not_audio", "/music/broken.mp3 is not audio"])
        #expect((data["nokey"] as? [[String]])?.first?[1] == "silent")
        #expect(!html.contains("</script><!--"), "a name cannot end the data's script element")
    }

    /// One file: nothing is fetched, whatever the browser.
    @Test func pageIsSelfContained() {
        let html = LibraryPage(results: Self.library).html
        for reference in ["http:", "https:", "src=", "@import", "url(", "fetch(", "XMLHttpRequest"] {
            #expect(!html.contains(reference), "\(reference)")
        }
        #expect(html.contains("default-src 'none'"), "the page's own policy forbids loading anything")
        #expect(html.components(separatedBy: "href=").count == 2 && html.contains("href=\"data:,\""), "only the empty icon")
    }

    /// 1.5 KB a track is the budget; names like a real library's, a tenth of them changing key.
    @Test func pageStaysSmallPerTrack() {
        let results = (0..<2000).map { (i: Int) -> AnalysisResult in
            let key = MusicalKey.all[i % 24].camelot, later = MusicalKey.all[(i * 7) % 24].camelot
            let path = "/home/dj/Music/Artist \(i / 12)/Album \(i % 5)/\(i % 12 + 1) Some Track Title \(i).mp3"
            return Self.result(path, i % 10 == 0 ? [key, later] : [key], cents: Double(i % 21) - 10)
        }
        let bytes = LibraryPage(results: results).html.utf8.count
        #expect(bytes / results.count < 400, "\(bytes / results.count) bytes a track")
    }

    @Test func titleIsEscaped() {
        #expect(LibraryPage(results: [], title: "<b>&").html.contains("<title>&lt;b&gt;&amp;</title>"))
    }
}
