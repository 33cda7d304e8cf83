import ArgumentParser
import Keyscan
import KeyscanCache
import KeyscanReport

/// `--cache PATH` / `--no-cache`, shared by `analyze` and `serve`.
struct CacheOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The result cache, an SQLite file (default: $XDG_CACHE_HOME/keyscan/results.sqlite).", valueName: "path"))
    var cache: String?

    @Flag(help: "Analyze every file afresh; read and store no cached results.")
    var noCache = false

    func validate() throws {
        if noCache && cache != nil { throw ValidationError("--cache and --no-cache cannot be used together") }
    }

    /// The cache for results of `analyzer`; problems are warnings, never failures.
    func open(for analyzer: Analyzer) -> BestEffortCache {
        if noCache { return .none() }
        return BestEffortCache(path: cache ?? ResultCache.defaultPath(), model: analyzer.identity) { warning in
            Stderr.write("keyscan: warning: \(warning)")
        }
    }
}

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
