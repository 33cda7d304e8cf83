import KeyscanResults

/// A library to pick the next track from: tracks indexed by the key they start in, so the
/// best next tracks for one are found without comparing it with every other.
public struct MixLibrary: Sendable {
    public let tracks: [MixTrack]
    /// 24 lists of indices into `tracks`, one per first key (class order), each from the
    /// most to the least confident first key, then by path.
    private let byFirstKey: [[Int]]
    /// The same 24 lists by tuning, low to high: the few tracks tuned far enough from a
    /// track to sound a semitone away are a range of these.
    private let byTuning: [[Int]]

    public init(_ tracks: [MixTrack]) {
        self.tracks = tracks
        var buckets = [[Int]](repeating: [], count: 24)
        for (i, track) in tracks.enumerated() { buckets[track.firstKey.index].append(i) }
        byFirstKey = buckets.map { bucket in
            bucket.sorted { (tracks[$0].firstConfidence, tracks[$1].path) > (tracks[$1].firstConfidence, tracks[$0].path) }
        }
        byTuning = buckets.map { bucket in bucket.sorted { tracks[$0].tuningCents < tracks[$1].tuningCents } }
    }

    /// The best `limit` tracks to play after `track`, best first: by move (same key, +1, −1,
    /// relative, then the energy moves), then those without a tuning warning, then by
    /// confidence (the transition's, then the incoming key's), then by path. Tracks with
    /// `track`'s path are left out.
    public func suggestions(after track: MixTrack, limit: Int) -> [Transition] {
        guard limit > 0 else { return [] }
        var found: [Transition] = []
        for move in Move.allCases {
            let target = move.target(from: track.lastKey)
            // Tracks labelled this key and tuned alike sound as `target`: walk them from the
            // most confident until `limit` without a tuning warning, after which every other
            // ranks lower.
            var clean = 0
            for i in byFirstKey[target.index] where Self.shift(track, tracks[i]) == 0 && tracks[i].path != track.path {
                let transition = Transition(from: track, to: tracks[i])
                found.append(transition)
                if !transition.tuningWarning { clean += 1 }
                if clean == limit { break }
            }
            // Tracks labelled a semitone off and tuned 50 cents or more the other way also
            // sound as `target`: the ends of the by-tuning list.
            for shift in [-1, 1] {
                let labelled = MusicalKey(tonic: target.tonic - shift, mode: target.mode).index
                let list = byTuning[labelled]
                let edge = track.tuningCents + 50 * Double(shift)
                // A little past the edge, as rounding d/100 decides, not this comparison.
                let range = shift > 0 ? lowerBound(list, edge - 0.01)..<list.count : 0..<lowerBound(list, edge + 0.01)
                for i in list[range] where Self.shift(track, tracks[i]) == shift && tracks[i].path != track.path {
                    found.append(Transition(from: track, to: tracks[i]))
                }
            }
        }
        return Array(found.sorted(by: Self.ranksBefore).prefix(limit))
    }

    /// `Transition.semitoneShift`, without the rest of a transition.
    static func shift(_ a: MixTrack, _ b: MixTrack) -> Int { Int(((b.tuningCents - a.tuningCents) / 100).rounded()) }

    /// The first position in `list` (sorted by tuning) whose tuning is at least `cents`.
    private func lowerBound(_ list: [Int], _ cents: Double) -> Int {
        var (low, high) = (0, list.count)
        while low < high {
            let mid = (low + high) / 2
            if tracks[list[mid]].tuningCents < cents { low = mid + 1 } else { high = mid }
        }
        return low
    }

    static func ranksBefore(_ a: Transition, _ b: Transition) -> Bool {
        let (ma, mb) = (a.move!, b.move!)
        if ma != mb { return ma < mb }
        if a.tuningWarning != b.tuningWarning { return !a.tuningWarning }
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        // Equal when A's own end is the less sure: the surer incoming key first, as the index walks.
        if a.to.firstConfidence != b.to.firstConfidence { return a.to.firstConfidence > b.to.firstConfidence }
        return a.to.path < b.to.path
    }
}
