import Foundation
import KeyscanResults

/// An analysis outcome as the cache stores it: JSON text with the full probability vector,
/// so a cached result prints exactly what the fresh analysis printed.
struct StoredOutcome: Codable, Equatable {
    /// The path as given when it was analyzed; messages name it.
    var path: String
    var status: String
    var probabilities: [Double]?
    var durationSeconds: Double?
    var code: String?
    var message: String?
    var warnings: [String]
    var tonality: Double?
    /// The key timeline and tuning of a success (absent in entries of pipeline version 1,
    /// which the model identity keeps apart anyway).
    var segments: [Segment]?
    var tuningCents: Double?

    /// A `KeySegment`, its key as the class index.
    struct Segment: Codable, Equatable {
        var start: Double
        var end: Double
        var key: Int
        var confidence: Double
    }

    init(_ result: AnalysisResult) {
        path = result.path
        warnings = result.warnings
        tonality = result.tonality
        tuningCents = result.tuning?.cents
        segments = result.segments.isEmpty ? nil
            : result.segments.map { Segment(start: $0.start, end: $0.end, key: $0.key.index, confidence: $0.confidence) }
        switch result.outcome {
        case .success(let estimate, let duration):
            status = "ok"
            probabilities = estimate.probabilities
            durationSeconds = duration
        case .noKey(let code, let message, let duration):
            status = "no_key"
            self.code = code
            self.message = message
            durationSeconds = duration
        case .failure(let code, let message):
            status = "error"
            self.code = code
            self.message = message
        }
    }

    /// The result for `path` (the name the caller used this time), or nil if the stored
    /// text is not one this version understands.
    func result(path: String) -> AnalysisResult? {
        let outcome: AnalysisResult.Outcome
        switch status {
        case "ok":
            guard let probabilities, probabilities.count == MusicalKey.all.count, let durationSeconds else { return nil }
            outcome = .success(KeyEstimate(probabilities: probabilities), durationSeconds: durationSeconds)
        case "no_key":
            guard let code, let message, let durationSeconds else { return nil }
            outcome = .noKey(code: code, message: message.replacingOccurrences(of: self.path, with: path),
                             durationSeconds: durationSeconds)
        case "error":
            guard let code, let message else { return nil }
            outcome = .failure(code: code, message: message.replacingOccurrences(of: self.path, with: path))
        default:
            return nil
        }
        var timeline: [KeySegment] = []
        for segment in segments ?? [] {
            guard let key = MusicalKey(index: segment.key) else { return nil }
            timeline.append(KeySegment(start: segment.start, end: segment.end, key: key, confidence: segment.confidence))
        }
        let warnings = warnings.map { $0.replacingOccurrences(of: self.path, with: path) }
        return AnalysisResult(path: path, outcome: outcome, warnings: warnings, tonality: tonality,
                              segments: timeline, tuning: tuningCents.map { Tuning(cents: $0) }, isCached: true)
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding plain strings, numbers and arrays cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    init?(json: String) {
        guard let value = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = value
    }
}
