/// What keyscan reports for one file: a key, or why there is none.
public struct AnalysisResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case success(KeyEstimate, durationSeconds: Double)
        case failure(code: String, message: String)
    }

    public let path: String
    public let outcome: Outcome
    /// Problems that did not stop the analysis (e.g. corrupt packets skipped).
    public let warnings: [String]
    /// True when the result came from the cache instead of a fresh analysis.
    public var isCached: Bool

    public init(path: String, outcome: Outcome, warnings: [String] = [], isCached: Bool = false) {
        self.path = path
        self.outcome = outcome
        self.warnings = warnings
        self.isCached = isCached
    }

    public var succeeded: Bool {
        if case .success = outcome { true } else { false }
    }
}
