import Foundation

/// The stages of one file's analysis, in pipeline order.
public enum Stage: String, CaseIterable, Sendable {
    case open
    case decode = "decode+resample"
    case transform
    case model
}

/// Where one file's time went.
///
/// `open`, `decode` and `model` are wall time on the file's worker thread. `transform` is
/// the CPU time of the constant-Q transform summed over every thread that worked on it:
/// it runs beside decoding, so the stages can add up to more than `total`, the file's
/// wall time from open to result.
public struct FileProfile: Sendable {
    public var path: String
    public var seconds: [Stage: Double] = [:]
    public var total: Double = 0
    /// Seconds of audio decoded.
    public var audioSeconds: Double = 0

    public init(path: String) { self.path = path }

    public subscript(stage: Stage) -> Double {
        get { seconds[stage, default: 0] }
        set { seconds[stage] = newValue }
    }

    /// Audio seconds per second of wall time.
    public var realtimeFactor: Double { total > 0 ? audioSeconds / total : 0 }
}

/// Times the stages of one file, or does nothing at all when profiling is off.
///
/// The pipeline owns it and calls `measure`; stages never read the environment.
public struct StageTimer: Sendable {
    public let enabled: Bool
    public private(set) var profile: FileProfile

    public init(path: String, enabled: Bool) {
        self.enabled = enabled
        profile = FileProfile(path: path)
    }

    /// Runs `body`, adding its wall time to `stage` when enabled.
    @inline(__always)
    public mutating func measure<T, E: Error>(_ stage: Stage, _ body: () throws(E) -> T) throws(E) -> T {
        guard enabled else { return try body() }
        let start = ContinuousClock.now
        defer { profile[stage] += (ContinuousClock.now - start).seconds }
        return try body()
    }

    public mutating func add(_ seconds: Double, to stage: Stage) {
        if enabled { profile[stage] += seconds }
    }

    public mutating func finish(total: Double, audioSeconds: Double) {
        profile.total = total
        profile.audioSeconds = audioSeconds
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Aligned tables of file profiles, for stderr.
public enum ProfileTable {
    static let stageWidth = 16

    /// One block per file: each stage's seconds and share of the total, and the realtime factor.
    public static func file(_ p: FileProfile) -> String {
        var lines = ["profile: \(p.path)"]
        for stage in Stage.allCases {
            let share = p.total > 0 ? 100 * p[stage] / p.total : 0
            lines.append("  \(pad(stage.rawValue))\(String(format: "%9.3f s %6.1f %%", p[stage], share))")
        }
        lines.append("  \(pad("total"))\(String(format: "%9.3f s", p.total))")
        lines.append("  \(pad("audio"))\(String(format: "%9.1f s   %.0f× realtime", p.audioSeconds, p.realtimeFactor))")
        return lines.joined(separator: "\n")
    }

    /// The run's summary: per-stage sums, wall time, files/s, audio seconds per wall second.
    public static func summary(_ profiles: [FileProfile], wallSeconds: Double, failures: Int) -> String {
        let stageSum = Stage.allCases.map { s in profiles.reduce(0) { $0 + $1[s] } }
        let work = stageSum.reduce(0, +)
        let audio = profiles.reduce(0) { $0 + $1.audioSeconds }
        var lines = ["profile: run of \(profiles.count) files (\(failures) failed)"]
        for (stage, sum) in zip(Stage.allCases, stageSum) {
            let share = work > 0 ? 100 * sum / work : 0
            lines.append("  \(pad(stage.rawValue))\(String(format: "%9.3f s %6.1f %% of stage time", sum, share))")
        }
        lines.append("  \(pad("wall"))\(String(format: "%9.3f s", wallSeconds))")
        let files = wallSeconds > 0 ? Double(profiles.count) / wallSeconds : 0
        lines.append("  \(pad("files/s"))\(String(format: "%9.2f", files))")
        let speed = wallSeconds > 0 ? audio / wallSeconds : 0
        lines.append("  \(pad("audio"))\(String(format: "%9.1f s   %.0f s of audio per wall second", audio, speed))")
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String) -> String {
        s.padding(toLength: stageWidth, withPad: " ", startingAt: 0)
    }
}
