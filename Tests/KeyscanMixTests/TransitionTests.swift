import KeyscanResults
import Testing
@testable import KeyscanMix

/// A track from Camelot names: `track("8A")`, `track("8A", "11B", cents: 30)`.
func track(_ first: String, _ last: String? = nil, cents: Double = 0, confidence: Double = 0.9, path: String? = nil) -> MixTrack {
    MixTrack(path: path ?? "\(first)-\(last ?? first)-\(cents)", firstKey: MusicalKey(parsing: first)!, firstConfidence: confidence,
             lastKey: MusicalKey(parsing: last ?? first)!, lastConfidence: confidence, tuningCents: cents)
}

@Suite struct TransitionTests {
    @Test func everyMoveDJsUseIsNamedAndEnergyMovesAreMarked() {
        let cases: [(String, String, Move?)] = [
            ("8A", "8A", .sameKey), ("8A", "9A", .plusOne), ("8A", "7A", .minusOne), ("8A", "8B", .relative),
            ("8B", "8A", .relative), ("12B", "1B", .plusOne), ("1A", "12A", .minusOne), ("8A", "10A", .energyPlusTwo),
            ("8A", "3A", .energyPlusSeven), ("11B", "6B", .energyPlusSeven), ("8A", "9B", nil), ("8A", "6A", nil), ("8A", "2A", nil),
        ]
        for (a, b, move) in cases {
            #expect(Move(from: MusicalKey(parsing: a)!, to: MusicalKey(parsing: b)!) == move, "\(a) → \(b)")
        }
        #expect(Move.allCases.filter(\.isEnergy) == [.energyPlusTwo, .energyPlusSeven])
        #expect(Move.allCases.map(\.label) == ["same key", "+1", "-1", "relative", "energy +2", "energy +7"])
        // +7 on the wheel is a semitone up: A minor → Bb minor.
        #expect(Move.energyPlusSeven.target(from: MusicalKey(parsing: "A minor")!).name == "Bb minor")
        for key in MusicalKey.all {
            for move in Move.allCases { #expect(Move(from: key, to: move.target(from: key)) == move, "\(key.camelot) \(move)") }
        }
    }

    /// A's last segment meets B's first: a track that modulates is judged by its ends.
    @Test func timelineEndsDecideNotTheGlobalKeys() {
        let modulating = track("8B", "11B")  // C major, then A major
        #expect(Transition(from: modulating, to: track("11B")).move == .sameKey)
        #expect(Transition(from: modulating, to: track("8B")).move == nil, "its ending, A major, does not meet C major")
        #expect(Transition(from: track("8B"), to: modulating).move == .sameKey, "it opens in C major")
        #expect(Transition(from: track("9B"), to: modulating).move == .minusOne)
        #expect(Transition(from: modulating, to: track("8B")).notes.first == "the outgoing track ends in 11B, not its opening 8B")
    }

    @Test func tuningShiftsTheIncomingKeyByWholeSemitones() {
        // 80 cents sharper: B's 8A sounds a semitone up, Bb minor = 3A.
        let sharp = Transition(from: track("8A", cents: -40), to: track("8A", cents: 40))
        #expect(sharp.semitoneShift == 1 && sharp.incomingKey.camelot == "3A")
        #expect(abs(sharp.residualCents - -20) < 1e-9)
        #expect(sharp.move == .energyPlusSeven && !sharp.isCompatible)
        // …so the track labelled a semitone down is the one that matches.
        let matched = Transition(from: track("8A", cents: -40), to: track("1A", cents: 40))
        #expect(matched.move == .sameKey && matched.isCompatible)
        #expect(matched.notes.contains("tuned +80 cents apart: 1A sounds as 8A"))
        // Within ±50 cents of each other, labels stand.
        let near = Transition(from: track("8A", cents: -20), to: track("8A", cents: 25))
        #expect(near.semitoneShift == 0 && near.move == .sameKey)
        #expect(Transition(from: track("8A", cents: 45), to: track("8A", cents: -45)).incomingKey.camelot == "1A", "90 cents flatter")
    }

    @Test func tuningWarningAboveTwentyCentsAfterMatching() {
        #expect(!Transition(from: track("8A", cents: 0), to: track("8A", cents: 20)).tuningWarning)
        let apart = Transition(from: track("8A", cents: -10), to: track("8A", cents: 15))
        #expect(apart.tuningWarning && abs(apart.residualCents - 25) < 1e-9)
        #expect(apart.notes.contains("tunings +25 cents apart after matching keys: pitch the incoming track by -25 cents"))
        #expect(!Transition(from: track("8A", cents: -45), to: track("1A", cents: 45)).tuningWarning, "90 apart is 10 from a semitone")
        #expect(Transition(from: track("8A", cents: -45), to: track("1A", cents: 45)).move == .sameKey)
    }

    @Test func confidenceIsTheLowerEndsAndLowIsSaid() {
        let sure = track("8A", confidence: 0.95)
        let unsure = track("8A", confidence: 0.55)
        let transition = Transition(from: sure, to: unsure)
        #expect(transition.confidence == 0.55 && transition.isLowConfidence)
        #expect(transition.notes.contains("low confidence (0.55): the key may be wrong"))
        #expect(!Transition(from: sure, to: sure).isLowConfidence)
    }

    @Test func aResultWithoutTimelineUsesItsGlobalKey() {
        var logits = [Float](repeating: 0, count: 24)
        logits[7] = 5
        let result = AnalysisResult(path: "/a.mp3", outcome: .success(KeyEstimate(logits: logits), durationSeconds: 10))
        let mixTrack = MixTrack(result)
        #expect(mixTrack?.firstKey.camelot == "8A" && mixTrack?.lastKey.camelot == "8A" && mixTrack?.tuningCents == 0)
        #expect(MixTrack(AnalysisResult(path: "/b.mp3", outcome: .failure(code: "not_audio", message: "x"))) == nil)
    }
}
