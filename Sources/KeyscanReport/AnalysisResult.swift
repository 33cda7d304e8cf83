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
    /// The key tag written, kept or failed; nil unless tags were to be written.
    public var tag: TagReport?

    public init(path: String, outcome: Outcome, warnings: [String] = [], tag: TagReport? = nil) {
        self.path = path
        self.outcome = outcome
        self.warnings = warnings
        self.tag = tag
    }

    /// Whether the file got a key.
    public var succeeded: Bool {
        if case .success = outcome { true } else { false }
    }

    /// Whether anything asked for this file failed: the analysis or the tag write. Counts
    /// towards exit status 1.
    public var failed: Bool { !succeeded || tag?.status == .failed }
}
