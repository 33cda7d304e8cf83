import Foundation

/// How `keyscan analyze` writes its results.
public enum ResultFormat: String, Sendable, CaseIterable {
    /// One JSON array, objects one per line, sorted by path; written when all are done.
    case json
    /// One JSON object per line, written as each file finishes.
    case jsonl
    /// A header and one row per file, sorted by path.
    case csv

    /// Alternatives listed after the winning key.
    public static let alternativeCount = 3

    /// Text before the first result.
    public var header: String {
        switch self {
        case .json: "["
        case .jsonl: ""
        case .csv: "path,status,key,camelot,openkey,confidence,duration_s,error_code,error_message,cached,tag_status,tag_value,tag_message,tuning_cents,reference_hz,key_changes,segments"
        }
    }

    /// Text after the last result, given how many were written.
    public func footer(count: Int) -> String {
        self == .json ? (count == 0 ? "]" : "\n]") : ""
    }

    /// One result as it appears in the output, `index` counting from 0 (JSON needs commas).
    public func line(for result: AnalysisResult, index: Int) -> String {
        switch self {
        case .json: (index == 0 ? "\n  " : ",\n  ") + result.json.serialized
        case .jsonl: result.json.serialized
        case .csv: result.csvRow
        }
    }
}

extension AnalysisResult {
    /// The JSON object documented in docs/json.md.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("path", .string(path))]
        switch outcome {
        case .success(let estimate, let duration):
            let key = estimate.key
            fields += [
                ("status", .string("ok")),
                ("key", .string(key.name)),
                ("camelot", .string(key.camelot)),
                ("openkey", .string(key.openKey)),
                ("confidence", .number(estimate.confidence, decimals: 4)),
                ("alternatives", estimate.alternativesJSON),
                ("duration_s", .number(duration, decimals: 2)),
            ]
            if let tonality { fields.append(("tonality", .number(tonality, decimals: 4))) }
            fields += timelineFields
        case .noKey(let code, let message, let duration):
            fields += [("status", .string("no_key")),
                       ("reason", .object([("code", .string(code)), ("message", .string(message))])),
                       ("duration_s", .number(duration, decimals: 2))]
            if let tonality { fields.append(("tonality", .number(tonality, decimals: 4))) }
        case .failure(let code, let message):
            fields += [("status", .string("error")),
                       ("error", .object([("code", .string(code)), ("message", .string(message))]))]
        }
        if let tag {
            var tagFields: [(String, JSONValue)] = [("status", .string(tag.status.rawValue)), ("value", .string(tag.value))]
            if let message = tag.message { tagFields.append(("message", .string(message))) }
            fields.append(("tag", .object(tagFields)))
        }
        if !warnings.isEmpty { fields.append(("warnings", .array(warnings.map { .string($0) }))) }
        if isCached { fields.append(("cached", .bool(true))) }
        return .object(fields)
    }

    /// One RFC 4180 row matching `ResultFormat.csv.header`.
    public var csvRow: String {
        var cells: [String]
        switch outcome {
        case .success(let estimate, let duration):
            let key = estimate.key
            cells = [path, "ok", key.name, key.camelot, key.openKey,
                     String(format: "%.4f", estimate.confidence), String(format: "%.2f", duration), "", ""]
        case .noKey(let code, let message, let duration):
            cells = [path, "no_key", "", "", "", "", String(format: "%.2f", duration), code, message]
        case .failure(let code, let message):
            cells = [path, "error", "", "", "", "", "", code, message]
        }
        cells.append(isCached ? "true" : "false")
        cells += [tag?.status.rawValue ?? "", tag?.value ?? "", tag?.message ?? ""]
        cells += [tuning.map { String(format: "%.1f", $0.cents) } ?? "", tuning.map { String(format: "%.2f", $0.referenceHz) } ?? "",
                  segments.isEmpty ? "" : String(keyChanges), segments.map(\.compact).joined(separator: "; ")]
        return cells.map(Self.csvQuoted).joined(separator: ",")
    }

    /// `tuning_cents`, `reference_hz`, `key_changes` and `segments`, those the result has
    /// (an analyzed success has them all): the fields JSON results and `serve` replies share.
    public var timelineFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let tuning {
            fields += [("tuning_cents", .number(tuning.cents, decimals: 1)),
                       ("reference_hz", .number(tuning.referenceHz, decimals: 2))]
        }
        if !segments.isEmpty { fields += [("key_changes", .int(keyChanges)), ("segments", .array(segments.map(\.json)))] }
        return fields
    }

    private static func csvQuoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension KeyEstimate {
    /// The keys after the winner, as the `alternatives` array of docs/json.md's schema.
    public var alternativesJSON: JSONValue {
        .array(ranked.dropFirst().prefix(ResultFormat.alternativeCount).map { alt in
            .object([("key", .string(alt.key.name)), ("camelot", .string(alt.key.camelot)),
                     ("openkey", .string(alt.key.openKey)), ("probability", .number(alt.probability, decimals: 4))])
        })
    }
}
