/// What keyscan reports for one file: a key, no key (the audio has none to give), or why
/// the file could not be analyzed.
public struct AnalysisResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case success(KeyEstimate, durationSeconds: Double)
        /// The file was analyzed, but holds nothing with a key: `code` is "silent" or
        /// "no_tonal_content". Not a failure: the answer is that there is no key.
        case noKey(code: String, message: String, durationSeconds: Double)
        case failure(code: String, message: String)
    }

    public let path: String
    public let outcome: Outcome
    /// Problems that did not stop the analysis (e.g. corrupt packets skipped).
    public let warnings: [String]
    /// How much pitched sound the track holds (`Tonality` in the Keyscan module): about 0
    /// for noise, 0.06–0.4 for music. Nil when the file was not decoded to the end.
    public let tonality: Double?
    /// The key timeline: consecutive segments covering the track, one when it stays in one
    /// key. Empty unless the outcome is `success`.
    public let segments: [KeySegment]
    /// The track's tuning, from the spectrogram's peaks; nil unless the outcome is `success`.
    public let tuning: Tuning?
    /// True when the result came from the cache instead of a fresh analysis.
    public var isCached: Bool
    /// The key tag written, kept or failed; nil unless tags were to be written.
    public var tag: TagReport?

    public init(path: String, outcome: Outcome, warnings: [String] = [], tonality: Double? = nil,
                segments: [KeySegment] = [], tuning: Tuning? = nil, isCached: Bool = false, tag: TagReport? = nil) {
        self.path = path
        self.outcome = outcome
        self.warnings = warnings
        self.tonality = tonality
        self.segments = segments
        self.tuning = tuning
        self.isCached = isCached
        self.tag = tag
    }

    /// Key changes along the timeline: segments less one (0 for a track in one key).
    public var keyChanges: Int { max(0, segments.count - 1) }

    /// Whether the file got a key.
    public var succeeded: Bool {
        if case .success = outcome { true } else { false }
    }

    /// Whether anything asked for this file failed: the analysis (an error result; `noKey`
    /// is not a failure) or the tag write. Counts towards exit status 1.
    public var failed: Bool {
        if case .failure = outcome { return true }
        return tag?.status == .failed
    }
}
