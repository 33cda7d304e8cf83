import ArgumentParser
import Foundation
import KeyscanResults
import KeyscanTags

/// `--write-tags`: writes each analyzed file's key into its tag and says what happened.
struct KeyTagging: Sendable {
    let notation: KeyNotation
    let writer: KeyTagWriter

    /// For tests only: with KEYSCAN_TEST_KILL_BEFORE_RENAME=1 the process kills itself
    /// (SIGKILL) when a tagged copy is ready to replace its original, as a crash or power cut
    /// at the worst moment would; the tests then check the original is intact and that the
    /// next run succeeds. Read here and nowhere else.
    static let killBeforeRenameVariable = "KEYSCAN_TEST_KILL_BEFORE_RENAME"

    init(notation: KeyNotation, overwrite: Bool, environment: [String: String]) {
        self.notation = notation
        var interrupt: (@Sendable (String) -> Void)?
        if environment[Self.killBeforeRenameVariable] == "1" {
            interrupt = { _ in _ = kill(getpid(), SIGKILL) }
        }
        writer = KeyTagWriter(overwrite: overwrite, beforeReplacing: interrupt)
    }

    /// Tags `result`'s file if it was analyzed; other results are returned as they are.
    func tag(_ result: AnalysisResult) -> AnalysisResult {
        guard case .success(let estimate, _) = result.outcome else { return result }
        let value = estimate.key.text(in: notation)
        var tagged = result
        do {
            switch try writer.write(value, to: result.path) {
            case .written(let now): tagged.tag = TagReport(status: .written, value: now)
            case .kept(let existing): tagged.tag = TagReport(status: .kept, value: existing)
            }
        } catch {
            tagged.tag = TagReport(status: .failed, value: value, message: error.message)
        }
        return tagged
    }
}

extension KeyNotation: ExpressibleByArgument {}
