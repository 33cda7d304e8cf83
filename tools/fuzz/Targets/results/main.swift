import Foundation
import FuzzSupport
import KeyscanResults

// Arbitrary bytes as a results file (`keyscan report` and `mix --library` read them) →
// `ResultReader.parse`, for a JSON array and for JSON lines alike. Every input must parse or
// give a `ResultReadError` that names the file, never crash or hang; and what parses must
// write back as keyscan writes results and read back to the very same text (the reader and
// the writer agree on every field, once numbers are rounded to the writer's decimals).

fuzz { bytes in
    let results: [AnalysisResult]
    do { results = try ResultReader.parse(Data(bytes), source: "fuzz.jsonl") } catch {
        precondition("\(error)".contains("fuzz.jsonl"), "an error that does not name the file: \(error)")
        return
    }
    let written = jsonLines(results)
    let again: [AnalysisResult]
    do { again = try ResultReader.parse(Data(written.utf8), source: "written.jsonl") } catch {
        preconditionFailure("keyscan's own output of what was read does not read back: \(error)\n\(written)")
    }
    precondition(again.count == results.count, "\(results.count) results read, \(again.count) after writing them")
    precondition(jsonLines(again) == written, "what was read changes when written and read again:\n\(written)\n\(jsonLines(again))")
}

func jsonLines(_ results: [AnalysisResult]) -> String {
    results.enumerated().map { ResultFormat.jsonl.line(for: $0.element, index: $0.offset) + "\n" }.joined()
}
