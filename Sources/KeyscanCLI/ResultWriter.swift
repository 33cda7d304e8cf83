import Foundation
import KeyscanResults

/// Writes results to stdout in the chosen format.
///
/// jsonl: each result as soon as it arrives. json and csv: in path order, each result as
/// soon as every file before it has finished, so output still streams for long batches.
final class ResultWriter: @unchecked Sendable {
    let format: ResultFormat
    private var pending: [Int: AnalysisResult] = [:]
    private var nextIndex = 0
    private var written = 0
    private(set) var failures = 0

    /// `startOnNewLine`: begin with a newline, to append after a cut-short last line.
    init(format: ResultFormat, startOnNewLine: Bool = false) {
        self.format = format
        if startOnNewLine { emit("\n") }
        if !format.header.isEmpty { emit(format.header + (format == .csv ? "\n" : "")) }
    }

    /// Called for each result, one at a time (the batch serialises calls).
    func add(_ result: AnalysisResult, at index: Int) {
        if result.failed { failures += 1 }
        if format == .jsonl {
            write(result)
            return
        }
        pending[index] = result
        while let ready = pending.removeValue(forKey: nextIndex) {
            write(ready)
            nextIndex += 1
        }
    }

    /// Results written so far.
    var count: Int { written }

    func finish() {
        emit(format.footer(count: written) + (format == .json ? "\n" : ""))
    }

    private func write(_ result: AnalysisResult) {
        let line = format.line(for: result, index: written)
        written += 1
        emit(format == .json ? line : line + "\n")
    }

    private func emit(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
