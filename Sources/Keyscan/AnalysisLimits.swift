import Foundation
import Synchronization

/// How long one file may take before it fails with `timeout`: a rolling budget of
/// `baseSeconds + secondsPerAudioSecond × (seconds of audio decoded so far)`.
///
/// The budget grows with the audio actually decoded, never with what the header claims,
/// so a long track gets time in proportion while a file that lies about its length (a
/// header declaring 100 hours) cannot buy any, and a decoder that stalls or produces
/// nothing fails after `baseSeconds`.
public struct AnalysisLimits: Sendable, Equatable {
    /// Wall-clock seconds every file gets before its first sample counts.
    public var baseSeconds: Double
    /// Wall-clock seconds added per second of audio decoded.
    public var secondsPerAudioSecond: Double

    public init(baseSeconds: Double, secondsPerAudioSecond: Double) {
        precondition(baseSeconds > 0 && secondsPerAudioSecond >= 0,
                     "AnalysisLimits: \(baseSeconds) s + \(secondsPerAudioSecond) s per audio second")
        self.baseSeconds = baseSeconds
        self.secondsPerAudioSecond = secondsPerAudioSecond
    }

    /// 60 s + 0.25 s per audio second. keyscan normally runs about 700× realtime per core
    /// (docs/benchmarks.md), so a 4-minute track that would time out after 120 s must be
    /// running some 350× slower than usual: far more than a busy machine (--jobs well
    /// above the core count) or a slow network share costs, so only a stuck file ever
    /// reaches it. The 60 s cover opening and probing over a slow mount and the network
    /// stage, which runs after decoding; the 0.25 s per audio second (4× realtime) still
    /// leave a 2-hour mix half an hour.
    public static let `default` = AnalysisLimits(baseSeconds: 60, secondsPerAudioSecond: 0.25)

    /// The budget, in seconds, after `audioSeconds` of audio.
    public func budget(audioSeconds: Double) -> Double {
        baseSeconds + secondsPerAudioSecond * audioSeconds
    }
}

/// One file's clock against its `AnalysisLimits`, and the caller's wish to cancel.
///
/// Read from FFmpeg's interrupt callback on the decoding thread and written by the decode
/// loop, so its state is atomic; `stop` is cheap enough (a clock read) for every callback.
final class Deadline: Sendable {
    let limits: AnalysisLimits
    private let start = ContinuousClock.now
    private let isCancelled: (@Sendable () -> Bool)?
    /// Audio decoded so far, in samples at `sampleRate`.
    private let samples = Atomic<Int>(0)
    private let sampleRate: Double
    /// What stopped the file first; 0 none, else a `Reason` raw value. Once set it stays,
    /// so the error reported is the one that actually stopped decoding.
    private let stopped = Atomic<Int>(0)

    enum Reason: Int { case timeout = 1, cancelled = 2 }

    init(limits: AnalysisLimits, sampleRate: Int, isCancelled: (@Sendable () -> Bool)?) {
        self.limits = limits
        self.sampleRate = Double(sampleRate)
        self.isCancelled = isCancelled
    }

    /// Records `count` more samples of decoded audio, which extends the budget.
    func add(samples count: Int) {
        samples.add(count, ordering: .relaxed)
    }

    var audioSeconds: Double { Double(samples.load(ordering: .relaxed)) / sampleRate }
    var elapsedSeconds: Double { (ContinuousClock.now - start).seconds }
    var budgetSeconds: Double { limits.budget(audioSeconds: audioSeconds) }

    /// What already stopped the file, if anything did; unlike `stop`, never reads the clock.
    var reason: Reason? { Reason(rawValue: stopped.load(ordering: .relaxed)) }

    /// Why the file must stop now, or nil to go on.
    func stop() -> Reason? {
        if let reason { return reason }
        let reason: Reason
        if let isCancelled, isCancelled() {
            reason = .cancelled
        } else if elapsedSeconds > budgetSeconds {
            reason = .timeout
        } else {
            return nil
        }
        _ = stopped.compareExchange(expected: 0, desired: reason.rawValue, ordering: .relaxed)
        return Reason(rawValue: stopped.load(ordering: .relaxed))
    }
}
