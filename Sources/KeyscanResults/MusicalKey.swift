import Foundation

/// One of the 24 major and minor keys, identified by its place on the Camelot wheel.
///
/// The index is the model's class order: 0…11 are 1A…12A (minor), 12…23 are 1B…12B
/// (major). 7 is 8A = A minor, 19 is 8B = C major.
public struct MusicalKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Mode: String, Sendable { case major, minor }

    /// Camelot class index, 0…23.
    public let index: Int

    public init?(index: Int) {
        guard (0..<24).contains(index) else { return nil }
        self.index = index
    }

    /// Camelot wheel number, 1…12.
    public var camelotNumber: Int { index % 12 + 1 }
    public var mode: Mode { index < 12 ? .minor : .major }

    /// Camelot notation: "8A".
    public var camelot: String { "\(camelotNumber)\(mode == .minor ? "A" : "B")" }

    /// Open Key notation: Camelot n → ((n + 4) mod 12) + 1, A → m, B → d ("8A" → "1m").
    public var openKey: String { "\((camelotNumber + 4) % 12 + 1)\(mode == .minor ? "m" : "d")" }

    /// Pitch class of the tonic, 0 = C … 11 = B. Each step round the wheel is a fifth.
    public var tonic: Int {
        // 8B is C major and 8A is A minor; one Camelot step up is a fifth (7 semitones) up.
        let base = mode == .major ? 0 : 9
        return (base + 7 * (camelotNumber - 8) % 12 + 24) % 12
    }

    /// Standard name with the spelling DJ software uses: "A minor", "Db major", "F# minor".
    public var name: String { "\(Self.tonicNames[mode]![tonic]) \(mode.rawValue)" }

    /// The ID3v2 `TKEY` form, at most three characters: the tonic A–G, then "b" or "#" if
    /// needed, then "m" for minor: "Am", "C#m", "Db", "F#". The tonic is spelt as in `name`
    /// (C# minor but Db major, as DJ software spells them).
    public var shortName: String { Self.tonicNames[mode]![tonic] + (mode == .minor ? "m" : "") }

    /// The key written in `notation`: "Am" (standard, the TKEY form), "8A", "1m".
    public func text(in notation: KeyNotation) -> String {
        switch notation {
        case .standard: shortName
        case .camelot: camelot
        case .openkey: openKey
        }
    }

    public var description: String { name }

    public static func < (a: MusicalKey, b: MusicalKey) -> Bool { a.index < b.index }

    /// All 24 keys in class order.
    public static let all: [MusicalKey] = (0..<24).map { MusicalKey(index: $0)! }

    /// Parses Camelot ("8A", "12b"), Open Key ("1m", "6d") or a name ("A minor", "C# maj",
    /// "Bbm", "Ebmin", "A"). Returns nil if the text is none of these.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let key = Self.parseWheel(t) {
            self = key
            return
        }
        guard let key = Self.parseName(t) else { return nil }
        self = key
    }

    /// The key with this tonic pitch class (0 = C) and mode.
    public init(tonic: Int, mode: Mode) {
        let pitch = ((tonic % 12) + 12) % 12
        let base = mode == .major ? 0 : 9
        // Solve base + 7·(n − 8) ≡ pitch (mod 12); 7 is its own inverse mod 12.
        let steps = (7 * (pitch - base) % 12 + 12) % 12
        let number = (steps + 8 - 1) % 12 + 1
        index = (mode == .minor ? 0 : 12) + number - 1
    }

    private static let tonicNames: [Mode: [String]] = [
        .major: ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
        .minor: ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
    ]

    private static func parseWheel(_ t: String) -> MusicalKey? {
        guard let letter = t.last?.lowercased(), let number = Int(t.dropLast()), (1...12).contains(number) else { return nil }
        switch letter {
        case "a": return MusicalKey(index: number - 1)
        case "b": return MusicalKey(index: 12 + number - 1)
        case "m": return MusicalKey(index: (number + 6) % 12)       // Open Key 1m = 8A
        case "d": return MusicalKey(index: 12 + (number + 6) % 12)  // Open Key 1d = 8B
        default: return nil
        }
    }

    private static func parseName(_ t: String) -> MusicalKey? {
        var rest = Substring(t.lowercased())
        let letters: [Character: Int] = ["c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11]
        guard let first = rest.first, var pitch = letters[first] else { return nil }
        rest = rest.dropFirst()
        if rest.first == "#" || rest.first == "♯" { pitch += 1; rest = rest.dropFirst() }
        else if rest.first == "b" || rest.first == "♭" { pitch -= 1; rest = rest.dropFirst() }
        let modeText = rest.trimmingCharacters(in: .whitespaces)
        switch modeText {
        case "", "maj", "major", "dur": return MusicalKey(tonic: pitch, mode: .major)
        case "m", "min", "minor", "moll": return MusicalKey(tonic: pitch, mode: .minor)
        default: return nil
        }
    }
}

/// How a key is written into a file's tag.
public enum KeyNotation: String, Sendable, CaseIterable {
    /// The ID3v2 `TKEY` convention: "Am", "Eb", "F#m" (`MusicalKey.shortName`).
    case standard
    /// Camelot wheel: "8A", "5B".
    case camelot
    /// Open Key: "1m", "10d".
    case openkey
}
