import Keyscan
import KeyscanCache
import KeyscanResults

/// One file's result: from the cache while the file and model are unchanged, else analyzed
/// and then stored; then, with `--write-tags`, its key written into the file.
struct LibraryAnalyzer: Sendable {
    let analyzer: Analyzer
    let cache: BestEffortCache
    let limits: AnalysisLimits
    var tagging: KeyTagging? = nil
    let profiling: Bool

    /// The result, and the timings if it was analyzed now.
    func result(for path: String, workspace: Analyzer.Workspace,
                isCancelled: (@Sendable () -> Bool)? = nil) -> (AnalysisResult, FileProfile?) {
        let lookup = cache.lookup(path: path)
        var (result, profile): (AnalysisResult, FileProfile?)
        switch lookup {
        case .hit(let cached):
            (result, profile) = (cached, nil)
        case .miss(let file):
            (result, profile) = analyzer.analyze(path: path, workspace: workspace, profiling: profiling,
                                                 limits: limits, isCancelled: isCancelled)
            if isCancelled?() ?? false { return (result, profile) }
            cache.keep(result, for: file)
        }
        if let tagging {
            result = tagging.tag(result)
            // The write replaced the file (new size and mtime) with one whose audio was
            // verified identical: its result still holds, under the new fingerprint.
            if result.tag?.status == .written { cache.keep(result, for: FileFingerprint(of: path)) }
        }
        return (result, profile)
    }
}
