import Foundation
import KeyscanResults

/// Mixing track A out into track B: A's last key against B's first, with their tunings.
///
/// **Tuning.** Each key is the nearest equal-tempered one to what the track plays, and
/// `tuning_cents` says how far off it sits (−50 … +50). Heard together, what matters is the
/// difference d = B's cents − A's (−100 … +100): B sounds round(d / 100) semitones higher
/// than its label says, in A's frame, with a residual of d − 100·round(d / 100) cents
/// (−50 … +50). So B's first key is transposed by that many semitones before the move is
/// read: 8A at +40 cents after 8A at −40 is 80 cents sharp, nearer 3A (a semitone up) than
/// to 8A. A residual over `tuningWarningCents` is flagged: the two tracks sit between keys.
public struct Transition: Sendable, Equatable {
    public let from: MixTrack
    public let to: MixTrack
    /// A's last key.
    public let outgoingKey: MusicalKey
    /// B's first key as it sounds against A's tuning (B's label transposed by `semitoneShift`).
    public let incomingKey: MusicalKey
    /// −1, 0 or +1: how many semitones B's tuning moves it against A's.
    public let semitoneShift: Int
    /// What is left after the shift, −50 … +50 cents: B against A once the keys are matched.
    public let residualCents: Double
    /// The move from `outgoingKey` to `incomingKey`; nil when it is none DJs make.
    public let move: Move?

    /// 20 cents: well above the tuning estimate's error (90th percentile 2–4.6 cents,
    /// docs/timeline-and-tuning.md), and where two sustained tones beat audibly (at 440 Hz,
    /// 20 cents is 5 Hz of beating); a 1.2 % pitch-fader nudge (2^(20/1200)) fixes it.
    public static let tuningWarningCents = 20.0
    /// Below 0.7 about one answer in six was the relative key (docs/json.md, `confidence`).
    public static let lowConfidence = 0.7

    public init(from a: MixTrack, to b: MixTrack) {
        from = a
        to = b
        let difference = b.tuningCents - a.tuningCents
        semitoneShift = Int((difference / 100).rounded())
        residualCents = difference - 100 * Double(semitoneShift)
        outgoingKey = a.lastKey
        incomingKey = MusicalKey(tonic: b.firstKey.tonic + semitoneShift, mode: b.firstKey.mode)
        move = Move(from: outgoingKey, to: incomingKey)
    }

    /// A harmonic move (same key, ±1, relative): what playlist ordering counts.
    public var isCompatible: Bool { move.map { !$0.isEnergy } ?? false }

    /// The lower of the two keys' confidences: a transition is as sure as its least sure key.
    public var confidence: Double { min(from.lastConfidence, to.firstConfidence) }

    public var isLowConfidence: Bool { confidence < Self.lowConfidence }

    public var tuningWarning: Bool { abs(residualCents) > Self.tuningWarningCents }

    /// What a DJ should know, in words: key changes inside either track, tuning, confidence.
    public var notes: [String] {
        var notes: [String] = []
        if from.changesKey { notes.append("the outgoing track ends in \(from.lastKey.camelot), not its opening \(from.firstKey.camelot)") }
        if to.changesKey { notes.append("the incoming track starts in \(to.firstKey.camelot) and changes to \(to.lastKey.camelot)") }
        if semitoneShift != 0 {
            notes.append("tuned \(Self.signed(to.tuningCents - from.tuningCents)) cents apart: \(to.firstKey.camelot) sounds as \(incomingKey.camelot)")
        }
        if tuningWarning {
            notes.append("tunings \(Self.signed(residualCents)) cents apart after matching keys: pitch the incoming track by \(Self.signed(-residualCents)) cents")
        }
        if isLowConfidence { notes.append("low confidence (\(Self.decimals(confidence, 2))): the key may be wrong") }
        return notes
    }

    /// "+25", "-3", "+0" (never "-0").
    public static func signed(_ cents: Double) -> String {
        let whole = cents.rounded()
        return String(format: "%+.0f", whole == 0 ? 0 : whole)
    }

    static func decimals(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
}
