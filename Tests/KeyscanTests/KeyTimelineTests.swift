import Foundation
import KeyscanResults
import Testing
@testable import Keyscan

/// The timeline decoder on column logits with known answers.
@Suite struct KeyTimelineTests {
    /// (columns, 24) logits: `key` scores `margin` above the rest, plus seeded noise of ±`noise`.
    static func columns(_ keys: [Int], margin: Float = 3, noise: Float = 1, seed: UInt64 = 1) -> [Float] {
        var state = seed
        var out: [Float] = []
        for key in keys {
            for k in 0..<24 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let uniform = Float(state >> 40) / Float(1 << 24) * 2 - 1
                out.append((k == key ? margin : 0) + noise * uniform)
            }
        }
        return out
    }

    let timeline = KeyTimeline.default

    @Test func oneKeyIsOneSegmentWithTheGlobalKey() {
        let logits = Self.columns([Int](repeating: 7, count: 100))
        let segments = timeline.segments(columnLogits: logits, columnSeconds: 1.6, duration: 161.3)
        #expect(segments.count == 1)
        #expect(segments.first?.start == 0 && segments.first?.end == 161.3)
        #expect(segments.first?.key == MusicalKey(index: 7))
        // The global estimate is the softmax of the mean of all columns, so they agree.
        let global = KeyEstimate(logits: KeyTimeline.meanLogits(logits, 0..<100))
        #expect(abs(segments[0].confidence - global.confidence) < 1e-12)
    }

    @Test func aModulationIsOneBoundaryWhereItHappens() {
        let logits = Self.columns([Int](repeating: 19, count: 60) + [Int](repeating: 22, count: 40))
        let segments = timeline.segments(columnLogits: logits, columnSeconds: 1.6, duration: 160.5)
        #expect(segments.map(\.key.camelot) == ["8B", "11B"])
        #expect(segments.first?.end == 96.0 && segments.last?.start == 96.0 && segments.last?.end == 160.5)
    }

    /// A few columns of another key (a borrowed chord, a fill) shorter than the resolution
    /// stay inside their segment; a finer resolution finds a longer excursion.
    @Test func excursionsShorterThanTheResolutionAreIgnored() {
        let blip = [Int](repeating: 7, count: 40) + [Int](repeating: 2, count: 6) + [Int](repeating: 7, count: 40)
        #expect(timeline.segments(columnLogits: Self.columns(blip, margin: 6), columnSeconds: 1.6, duration: 137.6).count == 1)
        let fine = KeyTimeline(resolution: 6.4, switchPenalty: 12)
        let found = fine.segments(columnLogits: Self.columns(blip, margin: 6), columnSeconds: 1.6, duration: 137.6)
        #expect(found.map(\.key.index) == [7, 2, 7])
        #expect(found.count == 3 && abs(found[1].start - 64.0) < 1e-9 && abs(found[1].end - 73.6) < 1e-9)
    }

    /// Column noise larger than a weak key's margin does not split it.
    @Test func noiseDoesNotMakeSegments() {
        let flat = Self.columns([Int](repeating: 0, count: 200), margin: 1, noise: 1.5, seed: 9)
        #expect(timeline.segments(columnLogits: flat, columnSeconds: 1.6, duration: 320).count == 1)
    }

    @Test func aTrackShorterThanTwoSegmentsIsOne() {
        let logits = Self.columns([Int](repeating: 3, count: 5) + [Int](repeating: 15, count: 5))
        let segments = timeline.segments(columnLogits: logits, columnSeconds: 1.6, duration: 16.9)
        #expect(segments.count == 1 && segments[0].end == 16.9)
        #expect(timeline.segments(columnLogits: [], columnSeconds: 1.6, duration: 1).isEmpty)
    }

    /// The finest resolution, one column per segment at least, still decodes.
    @Test func resolutionOfOneColumn() {
        let logits = Self.columns([Int](repeating: 1, count: 30) + [Int](repeating: 13, count: 30), margin: 6)
        let segments = KeyTimeline(resolution: 1.6).segments(columnLogits: logits, columnSeconds: 1.6, duration: 96)
        #expect(segments.map(\.key.index) == [1, 13])
        #expect(segments.first?.end == 48.0)
    }
}
