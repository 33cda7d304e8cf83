import Foundation

/// A stretch of a track in one key: one entry of the `segments` timeline.
public struct KeySegment: Sendable, Equatable {
    /// Seconds from the start of the audio; the first segment starts at 0 and the last ends
    /// at the track's duration.
    public let start: Double
    public let end: Double
    public let key: MusicalKey
    /// The model's probability for `key` over the segment (the softmax of its columns'
    /// mean logits, as the track's own confidence is that of all its columns).
    public let confidence: Double

    public init(start: Double, end: Double, key: MusicalKey, confidence: Double) {
        self.start = start
        self.end = end
        self.key = key
        self.confidence = confidence
    }

    /// The segment as docs/json.md's `segments` entries show it.
    public var json: JSONValue {
        .object([("start_s", .number(start, decimals: 2)), ("end_s", .number(end, decimals: 2)),
                 ("key", .string(key.name)), ("camelot", .string(key.camelot)), ("openkey", .string(key.openKey)),
                 ("confidence", .number(confidence, decimals: 4))])
    }

    /// `0:00-2:41 8B`: the CSV column's form, times rounded down to the second.
    public var compact: String { "\(Self.clock(start))-\(Self.clock(end)) \(key.camelot)" }

    /// m:ss, or h:mm:ss from an hour on.
    static func clock(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded(.down))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}

/// A track's tuning: how far its pitches sit from equal temperament at A4 = 440 Hz.
public struct Tuning: Sendable, Equatable {
    /// −50 ..< +50 cents (a hundredth of a semitone); +30 means every note sounds 30 cents sharp.
    public let cents: Double

    public init(cents: Double) { self.cents = cents }

    /// The A4 the track is tuned to: 440 × 2^(cents/1200) Hz (432 Hz is −31.8 cents).
    public var referenceHz: Double { 440 * pow(2, cents / 1200) }
}
