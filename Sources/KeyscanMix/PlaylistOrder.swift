/// Orders a set of tracks so that as many consecutive transitions as possible are
/// compatible (`Transition.isCompatible`: same key, ±1 or relative, A's last key to B's
/// first, after tuning).
///
/// The best order is a longest-path problem (NP-hard), so `heuristic` searches: a greedy
/// walk from every track as the opener, each step taking the compatible successor with the
/// fewest compatible successors of its own left (Warnsdorff's rule: use up the hard-to-place
/// tracks while they can still be reached), then moves of runs of one to three tracks to other
/// places while any raises the count (for up to 32 tracks after every walk, beyond that after the best).
/// `optimum` is exact, by dynamic programming over subsets, for the
/// small sets on which the tests and docs/report.md measure the heuristic.
public struct PlaylistOrder: Sendable {
    public let tracks: [MixTrack]
    /// compatible[a][b]: a → b is a compatible transition.
    let compatible: [[Bool]]

    public init(_ tracks: [MixTrack]) {
        self.tracks = tracks
        compatible = tracks.map { a in tracks.map { b in Transition(from: a, to: b).isCompatible } }
    }

    /// How many of the consecutive transitions of `order` (indices into `tracks`) are compatible.
    public func compatibleTransitions(_ order: [Int]) -> Int {
        zip(order, order.dropFirst()).reduce(0) { $0 + (compatible[$1.0][$1.1] ? 1 : 0) }
    }

    /// A good order, as indices into `tracks`; never worse than the order given.
    public func heuristic() -> [Int] {
        let n = tracks.count
        guard n > 2 else { return Array(0..<n) }
        var best = Array(0..<n)
        var bestCount = compatibleTransitions(best)
        // Natural openers first: tracks few others lead into. Each walk costs O(n²), so
        // at most `maximumOpeners` of them.
        let predecessors = (0..<n).map { b in (0..<n).reduce(0) { $0 + (compatible[$1][b] && $1 != b ? 1 : 0) } }
        let openers = (0..<n).sorted { (predecessors[$0], $0) < (predecessors[$1], $1) }.prefix(Self.maximumOpeners)
        for start in openers {
            // Small sets polish every walk, larger ones only the best (each polish is O(n³)).
            let order = n <= Self.polishEveryWalkUpTo ? improved(greedy(from: start)) : greedy(from: start)
            let count = compatibleTransitions(order)
            if count > bestCount { (best, bestCount) = (order, count) }
            if bestCount == n - 1 { return best }
        }
        return improved(best)
    }

    /// 64 walks: every opener up to 64 tracks, and the whole search stays under a second in
    /// a debug build for a set of 500.
    static let maximumOpeners = 64
    static let polishEveryWalkUpTo = 32

    /// The Warnsdorff walk from `start`; when no compatible track is left, the next opener
    /// is the remaining track with the fewest compatible predecessors left (the hardest to
    /// reach later). Ties go to the earlier track in the given order.
    func greedy(from start: Int) -> [Int] {
        let n = tracks.count
        var used = [Bool](repeating: false, count: n)
        // Unused compatible successors and predecessors of each track, kept up to date.
        var freeSuccessors = (0..<n).map { a in (0..<n).reduce(0) { $0 + (compatible[a][$1] && $1 != a ? 1 : 0) } }
        var freePredecessors = (0..<n).map { b in (0..<n).reduce(0) { $0 + (compatible[$1][b] && $1 != b ? 1 : 0) } }
        var order: [Int] = []
        func use(_ i: Int) {
            used[i] = true
            order.append(i)
            for j in 0..<n where j != i {
                if compatible[j][i] { freeSuccessors[j] -= 1 }
                if compatible[i][j] { freePredecessors[j] -= 1 }
            }
        }
        use(start)
        while order.count < n {
            let last = order.last!
            var next = -1
            for j in 0..<n where !used[j] && compatible[last][j] && (next < 0 || freeSuccessors[j] < freeSuccessors[next]) { next = j }
            if next < 0 {
                for j in 0..<n where !used[j] && (next < 0 || freePredecessors[j] < freePredecessors[next]) { next = j }
            }
            use(next)
        }
        return order
    }

    /// Moves runs of one to three consecutive tracks to other places while that raises the
    /// count (first improvement).
    func improved(_ start: [Int]) -> [Int] {
        var order = start
        var count = compatibleTransitions(order)
        var changed = true
        while changed {
            changed = false
            for length in 1...min(3, order.count - 1) {
                for from in 0...(order.count - length) {
                    var rest = order
                    let run = Array(rest[from..<(from + length)])
                    rest.removeSubrange(from..<(from + length))
                    for to in 0...rest.count where to != from {
                        var candidate = rest
                        candidate.insert(contentsOf: run, at: to)
                        let c = compatibleTransitions(candidate)
                        if c > count { (order, count, changed) = (candidate, c, true); break }
                    }
                    if changed { break }
                }
                if changed { break }
            }
        }
        return order
    }

    /// The best order, exactly: best[set][last] is the most compatible transitions of a
    /// path through `set` ending at `last`. O(2ⁿ·n²) time; for n ≤ 16.
    public func optimum() -> [Int] {
        let n = tracks.count
        precondition(n <= 16, "PlaylistOrder.optimum: \(n) tracks, at most 16")
        guard n > 1 else { return Array(0..<n) }
        let full = (1 << n) - 1
        var best = [[Int]](repeating: [Int](repeating: -1, count: n), count: 1 << n)
        var previous = best
        for i in 0..<n { best[1 << i][i] = 0 }
        for set in 1...full {
            for last in 0..<n where best[set][last] >= 0 {
                for next in 0..<n where set & (1 << next) == 0 {
                    let value = best[set][last] + (compatible[last][next] ? 1 : 0)
                    let grown = set | (1 << next)
                    if value > best[grown][next] { best[grown][next] = value; previous[grown][next] = last }
                }
            }
        }
        var last = (0..<n).max { best[full][$0] < best[full][$1] }!
        var set = full
        var order: [Int] = []
        while set != 0 {
            order.append(last)
            let before = previous[set][last]
            set &= ~(1 << last)
            last = before
        }
        return order.reversed()
    }
}
