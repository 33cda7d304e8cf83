import ArgumentParser
import Keyscan

/// `--timeout` and `--timeout-per-audio-second`, shared by `analyze` and `serve`.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds each file may take before its first sample of audio (default: 60).",
                               valueName: "seconds"))
    var timeout: Double = AnalysisLimits.default.baseSeconds

    @Option(help: ArgumentHelp("Seconds added to a file's time limit per second of audio decoded (default: 0.25).",
                               valueName: "seconds"))
    var timeoutPerAudioSecond: Double = AnalysisLimits.default.secondsPerAudioSecond

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)") }
        guard timeoutPerAudioSecond >= 0, timeoutPerAudioSecond.isFinite else {
            throw ValidationError("--timeout-per-audio-second must be 0 or more, got \(timeoutPerAudioSecond)")
        }
    }

    var limits: AnalysisLimits { AnalysisLimits(baseSeconds: timeout, secondsPerAudioSecond: timeoutPerAudioSecond) }
}
