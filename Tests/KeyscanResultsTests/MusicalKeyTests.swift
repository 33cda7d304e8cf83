import Foundation
import Testing
@testable import KeyscanResults

@Suite struct MusicalKeyTests {
    @Test func classOrderMatchesTheReferenceModel() {
        // shared/reference/README.md: 0 = 1A = Ab minor, 7 = 8A = A minor, 12 = 1B = B major, 19 = 8B = C major.
        #expect(MusicalKey(index: 0)!.name == "Ab minor")
        #expect(MusicalKey(index: 7)!.name == "A minor")
        #expect(MusicalKey(index: 7)!.camelot == "8A")
        #expect(MusicalKey(index: 12)!.name == "B major")
        #expect(MusicalKey(index: 19)!.name == "C major")
        #expect(MusicalKey(index: 19)!.camelot == "8B")
        #expect(MusicalKey(index: 24) == nil)
    }

    @Test func openKeyFollowsCamelotPlusFour() {
        #expect(MusicalKey(parsing: "8A")!.openKey == "1m")
        #expect(MusicalKey(parsing: "8B")!.openKey == "1d")
        #expect(MusicalKey(parsing: "1A")!.openKey == "6m")
        #expect(MusicalKey(parsing: "12B")!.openKey == "5d")
    }

    @Test func wellKnownKeys() {
        let expected = ["5A": "C minor", "11A": "F# minor", "12A": "C# minor", "2A": "Eb minor", "3A": "Bb minor",
                        "3B": "Db major", "4B": "Ab major", "2B": "F# major", "12B": "E major", "7B": "F major"]
        for (camelot, name) in expected { #expect(MusicalKey(parsing: camelot)!.name == name) }
    }

    @Test func shortNamesFollowID3TKEY() {
        // ID3v2.4 §4.2.3 TKEY: ground keys A–G, half keys "b" and "#", minor "m", at most 3 characters.
        let expected = ["8A": "Am", "8B": "C", "12A": "C#m", "3B": "Db", "2A": "Ebm", "11A": "F#m", "2B": "F#",
                        "1A": "Abm", "4B": "Ab", "6B": "Bb", "10A": "Bm", "12B": "E"]
        for (camelot, short) in expected { #expect(MusicalKey(parsing: camelot)!.shortName == short, "\(camelot)") }
    }

    @Test(arguments: MusicalKey.all)
    func everyKeyWritesInEachNotation(key: MusicalKey) {
        let short = key.text(in: .standard)
        #expect(short.count <= 3)
        #expect(short.range(of: #"^[A-G][b#]?m?$"#, options: .regularExpression) != nil, "\(short)")
        #expect(MusicalKey(parsing: short) == key, "what keyscan writes, it (and any TKEY reader) reads back")
        #expect(key.text(in: .camelot) == key.camelot)
        #expect(key.text(in: .openkey) == key.openKey)
        #expect(Set(MusicalKey.all.map(\.shortName)).count == 24)
    }

    @Test(arguments: MusicalKey.all)
    func everyKeyRoundTrips(key: MusicalKey) {
        #expect(MusicalKey(parsing: key.camelot) == key)
        #expect(MusicalKey(parsing: key.openKey) == key)
        #expect(MusicalKey(parsing: key.name) == key)
        #expect(MusicalKey(tonic: key.tonic, mode: key.mode) == key)
    }

    @Test func parsesCommonSpellings() {
        #expect(MusicalKey(parsing: "G# minor") == MusicalKey(parsing: "Ab minor"))
        #expect(MusicalKey(parsing: "Ebm")?.camelot == "2A")
        #expect(MusicalKey(parsing: "D# min")?.camelot == "2A")
        #expect(MusicalKey(parsing: "A")?.camelot == "11B")
        #expect(MusicalKey(parsing: "c major")?.camelot == "8B")
        #expect(MusicalKey(parsing: "H minor") == nil)
        #expect(MusicalKey(parsing: "13A") == nil)
        #expect(MusicalKey(parsing: "") == nil)
    }

    @Test func adjacentWheelNumbersAreAFifthApart() {
        for key in MusicalKey.all {
            let next = MusicalKey(index: key.mode == .minor ? key.camelotNumber % 12 : 12 + key.camelotNumber % 12)!
            #expect((next.tonic - key.tonic + 12) % 12 == 7)
        }
    }
}

@Suite struct KeyEstimateTests {
    @Test func softmaxPicksTheLargestLogit() {
        var logits = [Float](repeating: 0, count: 24)
        logits[7] = 5
        logits[19] = 3
        let estimate = KeyEstimate(logits: logits)
        #expect(estimate.key.camelot == "8A")
        #expect(abs(estimate.probabilities.reduce(0, +) - 1) < 1e-12)
        #expect(estimate.ranked[1].key.camelot == "8B")
        let e5 = exp(5.0), e3 = exp(3.0)
        #expect(abs(estimate.confidence - e5 / (e5 + e3 + 22)) < 1e-9)
    }

    @Test func temperatureSoftensWithoutChangingTheKey() {
        var logits = [Float](repeating: 0, count: 24)
        logits[7] = 4
        logits[19] = 2
        let sharp = KeyEstimate(logits: logits)
        let calibrated = KeyEstimate(logits: logits, temperature: 2)
        #expect(calibrated.key == sharp.key)
        #expect(calibrated.confidence < sharp.confidence)
        // softmax(logits / 2): e² / (e² + e¹ + 22).
        let expected = exp(2.0) / (exp(2.0) + exp(1.0) + 22)
        #expect(abs(calibrated.confidence - expected) < 1e-12)
    }

    @Test func hugeLogitsDoNotOverflow() {
        var logits = [Float](repeating: -1e30, count: 24)
        logits[3] = 1e30
        #expect(KeyEstimate(logits: logits).confidence == 1)
    }
}
