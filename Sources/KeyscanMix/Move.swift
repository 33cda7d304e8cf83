import KeyscanResults

/// A harmonic move from one key to the next, as DJs name them on the Camelot wheel.
public enum Move: String, Sendable, CaseIterable, Comparable {
    /// The same key: 8A → 8A.
    case sameKey = "same_key"
    /// One step clockwise, a fifth up: 8A → 9A.
    case plusOne = "plus_one"
    /// One step anticlockwise, a fifth down: 8A → 7A.
    case minusOne = "minus_one"
    /// Relative major or minor, the same notes: 8A ↔ 8B.
    case relative
    /// Energy boost, two steps clockwise (a whole tone up): 8A → 10A.
    case energyPlusTwo = "energy_plus_two"
    /// Energy boost, seven steps clockwise (a semitone up): 8A → 3A.
    case energyPlusSeven = "energy_plus_seven"

    /// The move from `a` to `b`, or nil when they are not a move DJs make.
    public init?(from a: MusicalKey, to b: MusicalKey) {
        let steps = (b.camelotNumber - a.camelotNumber + 12) % 12
        switch (a.mode == b.mode, steps) {
        case (true, 0): self = .sameKey
        case (true, 1): self = .plusOne
        case (true, 11): self = .minusOne
        case (false, 0): self = .relative
        case (true, 2): self = .energyPlusTwo
        case (true, 7): self = .energyPlusSeven
        default: return nil
        }
    }

    /// Energy moves raise the pitch on purpose: they work, but they change the mood, so they
    /// rank after the harmonic moves and do not count as compatible when ordering a playlist.
    public var isEnergy: Bool { self == .energyPlusTwo || self == .energyPlusSeven }

    /// How DJs write it: "same key", "+1", "−1", "relative", "energy +2", "energy +7".
    public var label: String {
        switch self {
        case .sameKey: "same key"
        case .plusOne: "+1"
        case .minusOne: "-1"
        case .relative: "relative"
        case .energyPlusTwo: "energy +2"
        case .energyPlusSeven: "energy +7"
        }
    }

    /// The key `move` leads to from `key`.
    public func target(from key: MusicalKey) -> MusicalKey {
        let number: Int, minor: Bool
        switch self {
        case .sameKey: (number, minor) = (key.camelotNumber, key.mode == .minor)
        case .plusOne: (number, minor) = (key.camelotNumber % 12 + 1, key.mode == .minor)
        case .minusOne: (number, minor) = ((key.camelotNumber + 10) % 12 + 1, key.mode == .minor)
        case .relative: (number, minor) = (key.camelotNumber, key.mode != .minor)
        case .energyPlusTwo: (number, minor) = ((key.camelotNumber + 1) % 12 + 1, key.mode == .minor)
        case .energyPlusSeven: (number, minor) = ((key.camelotNumber + 6) % 12 + 1, key.mode == .minor)
        }
        return MusicalKey(index: (minor ? 0 : 12) + number - 1)!
    }

    /// 0…5, the declaration order: same key is the safest move.
    public var rank: Int {
        switch self {
        case .sameKey: 0
        case .plusOne: 1
        case .minusOne: 2
        case .relative: 3
        case .energyPlusTwo: 4
        case .energyPlusSeven: 5
        }
    }

    public static func < (a: Move, b: Move) -> Bool { a.rank < b.rank }
}
