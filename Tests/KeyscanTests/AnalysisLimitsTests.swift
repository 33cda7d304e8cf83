import Foundation
import Testing
@testable import Keyscan

@Suite struct AnalysisLimitsTests {
    @Test func budgetGrowsWithTheAudioDecoded() {
        let limits = AnalysisLimits(baseSeconds: 60, secondsPerAudioSecond: 0.25)
        #expect(limits.budget(audioSeconds: 0) == 60)
        #expect(limits.budget(audioSeconds: 7200) == 1860, "a 2-hour mix gets 31 minutes")
        #expect(AnalysisLimits.default == limits)
    }

    @Test func deadlineStopsOnceTheBudgetIsSpentAndStaysStopped() throws {
        let deadline = Deadline(limits: AnalysisLimits(baseSeconds: 0.05, secondsPerAudioSecond: 0), sampleRate: 44100,
                                isCancelled: nil)
        #expect(deadline.stop() == nil)
        Thread.sleep(forTimeInterval: 0.06)
        #expect(deadline.stop() == .timeout)
        #expect(deadline.reason == .timeout)
        #expect(throws: AnalysisError.self) { try deadline.check(path: "x") }
    }

    @Test func decodedAudioBuysTime() {
        let deadline = Deadline(limits: AnalysisLimits(baseSeconds: 0.05, secondsPerAudioSecond: 1), sampleRate: 44100,
                                isCancelled: nil)
        deadline.add(samples: 44100)  // 1 s of audio: 1 s more
        Thread.sleep(forTimeInterval: 0.06)
        #expect(deadline.stop() == nil)
        #expect(abs(deadline.audioSeconds - 1) < 1e-12)
    }

    @Test func cancellationWinsAndIsLatched() {
        let flag = Flag()
        let deadline = Deadline(limits: .default, sampleRate: 44100, isCancelled: { flag.isSet })
        #expect(deadline.stop() == nil)
        flag.set()
        #expect(deadline.stop() == .cancelled)
        flag.clear()
        #expect(deadline.stop() == .cancelled, "once stopped, the reason does not change")
    }
}

/// A flag any thread may read.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func clear() { lock.withLock { value = false } }
}
