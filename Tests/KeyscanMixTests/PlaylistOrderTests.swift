@testable import KeyscanMix
import KeyscanResults
import KeyscanTestSupport
import Testing

@Suite struct PlaylistOrderTests {
    /// Every permutation: the reference the dynamic programme must agree with.
    static func bruteForce(_ order: PlaylistOrder) -> Int {
        var best = 0
        func extend(_ path: [Int], _ left: Set<Int>) {
            if left.isEmpty { best = max(best, order.compatibleTransitions(path)); return }
            for i in left { extend(path + [i], left.subtracting([i])) }
        }
        extend([], Set(order.tracks.indices))
        return best
    }

    static func randomSet(_ n: Int, _ generator: inout SeededGenerator) -> [MixTrack] {
        (0..<n).map { i in
            let first = MusicalKey.all.randomElement(using: &generator)!
            let last = Int.random(in: 0..<5, using: &generator) == 0 ? MusicalKey.all.randomElement(using: &generator)! : first
            return MixTrack(path: "t\(i)", firstKey: first, firstConfidence: 0.9, lastKey: last, lastConfidence: 0.9,
                            tuningCents: Double(Int.random(in: -45...45, using: &generator)))
        }
    }

    @Test func optimumIsTheBestOfAllPermutations() {
        var generator = SeededGenerator(seed: 1)
        for n in [1, 2, 3, 5, 7] {
            for _ in 0..<20 {
                let order = PlaylistOrder(Self.randomSet(n, &generator))
                let optimum = order.optimum()
                #expect(optimum.sorted() == Array(0..<n), "a permutation")
                #expect(order.compatibleTransitions(optimum) == Self.bruteForce(order))
            }
        }
    }

    /// A chain round the wheel, shuffled: the heuristic finds it again, every step compatible.
    @Test func aShuffledChainIsRestored() {
        let keys = ["5A", "6A", "6B", "7B", "8B", "8A", "9A", "10A", "10B", "11B"]
        let tracks = keys.enumerated().map { track($1, path: "\($0)") }
        var generator = SeededGenerator(seed: 3)
        let order = PlaylistOrder(tracks.shuffled(using: &generator))
        #expect(order.compatibleTransitions(order.heuristic()) == keys.count - 1)
    }

    /// The heuristic against the optimum on random sets of 10 and 13 (docs/report.md quotes
    /// these numbers): never more than one transition short, and on average within 0.1.
    @Test(arguments: [(10, 200), (13, 50)])
    func heuristicIsNearTheOptimumOnRandomSets(size: Int, sets: Int) {
        var generator = SeededGenerator(seed: 11)
        var gaps: [Int] = []
        for _ in 0..<sets {
            let order = PlaylistOrder(Self.randomSet(size, &generator))
            let heuristic = order.heuristic()
            #expect(heuristic.sorted() == Array(0..<size))
            gaps.append(order.compatibleTransitions(order.optimum()) - order.compatibleTransitions(heuristic))
        }
        let mean = Double(gaps.reduce(0, +)) / Double(gaps.count)
        print("PlaylistOrder on \(sets) random sets of \(size): mean gap \(mean), optimal on \(gaps.filter { $0 == 0 }.count), worst \(gaps.max()!)")
        #expect(gaps.allSatisfy { $0 >= 0 })
        #expect(gaps.max()! <= 1 && mean <= 0.1)
    }

    @Test func neverWorseThanTheGivenOrder() {
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<30 {
            let order = PlaylistOrder(Self.randomSet(12, &generator))
            #expect(order.compatibleTransitions(order.heuristic()) >= order.compatibleTransitions(Array(0..<12)))
        }
    }
}
