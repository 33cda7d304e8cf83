import ArgumentParser
import Keyscan

/// `--timeline-resolution` (and the evaluation's hidden `--timeline-switch-penalty`),
/// shared by `analyze` and `serve`.
struct TimelineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Shortest key segment in seconds: smaller finds shorter key changes, larger gives fewer segments (default: 16, at least 1.6).",
                               valueName: "seconds"))
    var timelineResolution: Double = KeyTimeline.defaultResolution

    /// For tools/evaluation/timeline.py's parameter search: the cost of a key change in nats.
    @Option(help: ArgumentHelp("Cost of a key change in the timeline, in nats (default: the model's, else 64).",
                               visibility: .hidden))
    var timelineSwitchPenalty: Double?

    func validate() throws {
        guard timelineResolution >= 1.6, timelineResolution <= 3600 else {
            throw ValidationError("--timeline-resolution must be between 1.6 and 3600 seconds, got \(timelineResolution)")
        }
        if let penalty = timelineSwitchPenalty, !(penalty >= 0 && penalty.isFinite) {
            throw ValidationError("--timeline-switch-penalty must be 0 or more, got \(penalty)")
        }
    }
}
