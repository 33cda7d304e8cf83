import KeyscanResults

/// What mixing needs of one analyzed track: the key it starts in, the key it ends in (the
/// ends of its timeline), their confidences, and its tuning.
public struct MixTrack: Sendable, Equatable {
    /// The result's path: suggestions and playlists name tracks by it.
    public let path: String
    /// The first segment's key: what a track mixed into this one meets.
    public let firstKey: MusicalKey
    public let firstConfidence: Double
    /// The last segment's key: what the next track meets.
    public let lastKey: MusicalKey
    public let lastConfidence: Double
    /// Cents from A4 = 440 Hz; 0 when the result has no tuning (results of older versions).
    public let tuningCents: Double

    public init(path: String, firstKey: MusicalKey, firstConfidence: Double, lastKey: MusicalKey,
                lastConfidence: Double, tuningCents: Double = 0) {
        self.path = path
        self.firstKey = firstKey
        self.firstConfidence = firstConfidence
        self.lastKey = lastKey
        self.lastConfidence = lastConfidence
        self.tuningCents = tuningCents
    }

    /// The track of a result with a key; nil for `no_key` and errors. A result without a
    /// timeline (an older keyscan's) starts and ends in its global key.
    public init?(_ result: AnalysisResult) {
        guard case .success(let estimate, _) = result.outcome else { return nil }
        let first = result.segments.first, last = result.segments.last
        self.init(path: result.path,
                  firstKey: first?.key ?? estimate.key, firstConfidence: first?.confidence ?? estimate.confidence,
                  lastKey: last?.key ?? estimate.key, lastConfidence: last?.confidence ?? estimate.confidence,
                  tuningCents: result.tuning?.cents ?? 0)
    }

    /// Whether the key changes along the track, so that its ends differ.
    public var changesKey: Bool { firstKey != lastKey }
}
