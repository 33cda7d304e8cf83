import Foundation

/// Reads keyscan's own output back: the JSON array of `--format json` or the JSON lines of
/// `--format jsonl`, into the results that wrote them.
///
/// The schema keeps the winning key's probability and the next three, not all 24: the
/// reader gives the other twenty keys an equal share of what is left, so writing a result
/// read back prints the same fields and values (the round trip the tests check).
public enum ResultReader {
    /// The results in `url`, in file order; JSON or JSON lines, told apart by the first
    /// character (`[` is an array).
    public static func read(_ url: URL) throws(ResultReadError) -> [AnalysisResult] {
        let data: Data
        do { data = try Data(contentsOf: url) }
        catch { throw .unreadable(path: url.path, reason: (error as NSError).localizedFailureReason ?? error.localizedDescription) }
        return try parse(data, source: url.path)
    }

    /// The results in `data` (a file's bytes); `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws(ResultReadError) -> [AnalysisResult] {
        let text = String(decoding: data, as: UTF8.self)
        if text.first(where: { !$0.isWhitespace }) == "[" {
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw .malformed(path: source, line: nil, reason: "not a JSON array of results")
            }
            return try array.enumerated().map { (i, item) throws(ResultReadError) in
                do throws(FieldError) { return try result(item) }
                catch { throw .malformed(path: source, line: nil, reason: "result \(i + 1): \(error.reason)") }
            }
        }
        var results: [AnalysisResult] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
                throw .malformed(path: source, line: i + 1, reason: "not JSON")
            }
            do throws(FieldError) { results.append(try result(object)) }
            catch { throw .malformed(path: source, line: i + 1, reason: error.reason) }
        }
        return results
    }

    struct FieldError: Error { let reason: String }

    /// One result object, as `AnalysisResult.json` writes it.
    static func result(_ item: Any) throws(FieldError) -> AnalysisResult {
        guard let object = item as? [String: Any] else { throw FieldError(reason: "not a JSON object") }
        let path: String = try field(object, "path")
        let status: String = try field(object, "status")
        let outcome: AnalysisResult.Outcome
        var segments: [KeySegment] = []
        var tuning: Tuning?
        switch status {
        case "ok":
            let duration = try number(object, "duration_s", in: Limits.seconds)
            outcome = .success(try estimate(object), durationSeconds: duration)
            segments = try (object["segments"] as? [Any] ?? []).map { (item) throws(FieldError) in try segment(item) }
            tuning = try object["tuning_cents"] == nil ? nil : Tuning(cents: number(object, "tuning_cents", in: Limits.cents))
        case "no_key":
            let reason: [String: Any] = try field(object, "reason")
            outcome = .noKey(code: try field(reason, "code"), message: try field(reason, "message"),
                             durationSeconds: try number(object, "duration_s", in: Limits.seconds))
        case "error":
            let error: [String: Any] = try field(object, "error")
            outcome = .failure(code: try field(error, "code"), message: try field(error, "message"))
        default:
            throw FieldError(reason: "status \"\(status)\" is none of ok, no_key, error")
        }
        var tag: TagReport?
        if let fields = object["tag"] as? [String: Any] {
            let statusText: String = try field(fields, "status")
            guard let tagStatus = TagReport.Status(rawValue: statusText) else { throw FieldError(reason: "tag status \"\(statusText)\"") }
            tag = TagReport(status: tagStatus, value: try field(fields, "value"), message: fields["message"] as? String)
        }
        return AnalysisResult(path: path, outcome: outcome, warnings: object["warnings"] as? [String] ?? [],
                              tonality: object["tonality"] == nil ? nil : try number(object, "tonality", in: Limits.tonality),
                              segments: segments, tuning: tuning,
                              isCached: object["cached"] as? Bool ?? false, tag: tag)
    }

    /// The winner at `confidence`, the alternatives at theirs, the rest sharing what is left.
    static func estimate(_ object: [String: Any]) throws(FieldError) -> KeyEstimate {
        let key = try musicalKey(object)
        var probabilities = [Double](repeating: -1, count: 24)
        probabilities[key.index] = try number(object, "confidence", in: Limits.probability)
        let alternatives: [[String: Any]] = (object["alternatives"] as? [[String: Any]]) ?? []
        for alternative in alternatives {
            let alternativeKey = try musicalKey(alternative)
            probabilities[alternativeKey.index] = try number(alternative, "probability", in: Limits.probability)
        }
        let known = probabilities.filter { $0 >= 0 }
        // Never above the least known probability, so the ranking stays as written.
        let share = min(max(0, 1 - known.reduce(0, +)) / Double(24 - known.count), known.min() ?? 0)
        return KeyEstimate(probabilities: probabilities.map { $0 >= 0 ? $0 : share })
    }

    static func segment(_ item: Any) throws(FieldError) -> KeySegment {
        guard let object = item as? [String: Any] else { throw FieldError(reason: "a segment is not a JSON object") }
        let start = try number(object, "start_s", in: Limits.seconds), end = try number(object, "end_s", in: Limits.seconds)
        guard start <= end else { throw FieldError(reason: "a segment ends (\(end) s) before it starts (\(start) s)") }
        return KeySegment(start: start, end: end, key: try musicalKey(object),
                          confidence: try number(object, "confidence", in: Limits.probability))
    }

    /// The key of an object by its `camelot` field, the notation keyscan always writes.
    static func musicalKey(_ object: [String: Any]) throws(FieldError) -> MusicalKey {
        let camelot: String = try field(object, "camelot")
        guard let key = MusicalKey(parsing: camelot) else { throw FieldError(reason: "\"\(camelot)\" is not a Camelot key") }
        return key
    }

    /// What keyscan can write: a result outside these ranges is not keyscan's, and a number
    /// that large would not even print back as it was read (found by tools/fuzz's results).
    enum Limits {
        static let probability = 0.0...1.0
        /// Seconds of audio: up to a week, far past any file keyscan analyzes.
        static let seconds = 0.0...604_800.0
        /// `Tuning` is the offset from the nearest equal-tempered key.
        static let cents = -50.0...50.0
        /// `tonality` is non-negative (0.06–0.4 for music); a bound, not a property of the measure.
        static let tonality = 0.0...1000.0
    }

    /// A number field within `range`.
    static func number(_ object: [String: Any], _ name: String, in range: ClosedRange<Double>) throws(FieldError) -> Double {
        let value: Double = try field(object, name)
        guard range.contains(value) else {
            throw FieldError(reason: "\"\(name)\" is \(value), outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    static func field<T>(_ object: [String: Any], _ name: String) throws(FieldError) -> T {
        guard let value = object[name] else { throw FieldError(reason: "no \"\(name)\"") }
        guard let typed = value as? T else { throw FieldError(reason: "\"\(name)\" is not a \(T.self)") }
        return typed
    }
}

/// Why a results file could not be read.
public enum ResultReadError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// `line` is the JSON line at fault, nil in a JSON array.
    case malformed(path: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let path, let line?, let reason): "\(path), line \(line): \(reason)"
        case .malformed(let path, nil, let reason): "\(path): \(reason)"
        }
    }
}
