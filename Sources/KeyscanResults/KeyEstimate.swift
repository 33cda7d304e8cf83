import Foundation

/// The model's verdict on one track: a probability for each of the 24 keys.
public struct KeyEstimate: Sendable, Equatable {
    /// Softmax of the logits, in class order (see `MusicalKey.index`).
    public let probabilities: [Double]

    /// Turns 24 logits into probabilities (a numerically stable softmax of logits / temperature;
    /// the model's calibration temperature makes the probabilities honest, see KeyNetConfig).
    public init(logits: [Float], temperature: Float = 1) {
        precondition(logits.count == 24, "KeyEstimate: \(logits.count) logits, expected 24")
        precondition(temperature > 0, "KeyEstimate: temperature \(temperature), expected > 0")
        let top = Double(logits.max()!)
        let exps = logits.map { exp((Double($0) - top) / Double(temperature)) }
        let sum = exps.reduce(0, +)
        probabilities = exps.map { $0 / sum }
    }

    /// An estimate from stored probabilities (24, in class order).
    public init(probabilities: [Double]) {
        precondition(probabilities.count == 24, "KeyEstimate: \(probabilities.count) probabilities, expected 24")
        self.probabilities = probabilities
    }

    /// Keys from most to least probable.
    public var ranked: [(key: MusicalKey, probability: Double)] {
        MusicalKey.all.map { ($0, probabilities[$0.index]) }.sorted { $0.1 > $1.1 || $0.1 == $1.1 && $0.0 < $1.0 }
    }

    public var key: MusicalKey { ranked[0].key }
    /// The winning key's probability.
    public var confidence: Double { probabilities[key.index] }
}
