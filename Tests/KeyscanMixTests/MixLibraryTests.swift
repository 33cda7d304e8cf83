@testable import KeyscanMix
import KeyscanResults
import KeyscanTestSupport
import Testing

@Suite struct MixLibraryTests {
    /// The indexed search gives what comparing with every track and ranking gives.
    @Test func suggestionsMatchAFullComparison() {
        var generator = SeededGenerator(seed: 7)
        let tracks = (0..<600).map { i -> MixTrack in
            let first = MusicalKey.all.randomElement(using: &generator)!
            let last = Int.random(in: 0..<4, using: &generator) == 0 ? MusicalKey.all.randomElement(using: &generator)! : first
            return MixTrack(path: "t\(i)", firstKey: first, firstConfidence: Double.random(in: 0.3...1, using: &generator),
                            lastKey: last, lastConfidence: Double.random(in: 0.3...1, using: &generator),
                            tuningCents: Double.random(in: -50..<50, using: &generator))
        }
        let library = MixLibrary(tracks)
        for a in tracks.prefix(60) {
            let all = tracks.filter { $0.path != a.path }.map { Transition(from: a, to: $0) }.filter { $0.move != nil }
            let expected = all.sorted(by: MixLibrary.ranksBefore).prefix(8).map(\.to.path)
            #expect(library.suggestions(after: a, limit: 8).map(\.to.path) == expected, "\(a.path)")
        }
    }

    @Test func rankedByMoveThenTuningThenConfidence() {
        let a = track("8A", confidence: 0.9, path: "a")
        let library = MixLibrary([
            a, track("9A", path: "plus"), track("8B", path: "relative"), track("10A", path: "energy"),
            track("8A", cents: 30, path: "same, 30 cents off"), track("8A", confidence: 0.6, path: "same, unsure"),
            track("8A", confidence: 0.8, path: "same"), track("5B", path: "clash"), track("7A", path: "minus"),
        ])
        let names = library.suggestions(after: a, limit: 10).map(\.to.path)
        #expect(names == ["same", "same, unsure", "same, 30 cents off", "plus", "minus", "relative", "energy"])
        #expect(library.suggestions(after: a, limit: 2).map(\.to.path) == ["same", "same, unsure"])
    }
}

