import KeyscanResults

/// A library to pick the next track from: tracks indexed by the key they start in, so the
/// best next tracks for one are found without comparing it with every other.
public struct MixLibrary: Sendable {
    public let tracks: [MixTrack]
    /// 24 lists of indices into `tracks`, one per first key (class order), each from the
    /// most to the least confident first key, then by path.
    private let byFirstKey: [[Int]]

    public init(_ tracks: [MixTrack]) {
        self.tracks = tracks
        var buckets = [[Int]](repeating: [], count: 24)
        for (i, track) in tracks.enumerated() { buckets[track.firstKey.index].append(i) }
        byFirstKey = buckets.map { bucket in
            bucket.sorted { (tracks[$0].firstConfidence, tracks[$1].path) > (tracks[$1].firstConfidence, tracks[$0].path) }
        }
    }

    /// The best `limit` tracks to play after `track`, best first: by move (same key, +1, −1,
    /// relative, then the energy moves), then those without a tuning warning, then by
    /// confidence (the transition's, then the incoming key's), then by path. Tracks with `track`'s path are left out.
    public func suggestions(after track: MixTrack, limit: Int) -> [Transition] {
        guard limit > 0 else { return [] }
        var found: [Transition] = []
        for move in Move.allCases {
            let target = move.target(from: track.lastKey)
            for shift in -1...1 {
                // Tracks labelled this key sound as `target` when tuned `shift` semitones up.
                let labelled = MusicalKey(tonic: target.tonic - shift, mode: target.mode)
                var clean = 0
                for i in byFirstKey[labelled.index] where tracks[i].path != track.path {
                    let transition = Transition(from: track, to: tracks[i])
                    guard transition.semitoneShift == shift else { continue }
                    found.append(transition)
                    // Within one move, every later track ranks below these `limit`.
                    if !transition.tuningWarning { clean += 1 }
                    if clean == limit { break }
                }
            }
        }
        return Array(found.sorted(by: Self.ranksBefore).prefix(limit))
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
