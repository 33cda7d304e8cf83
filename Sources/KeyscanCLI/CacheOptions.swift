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
/// and then stored.
struct LibraryAnalyzer: Sendable {
    let analyzer: Analyzer
    let cache: BestEffortCache
    let limits: AnalysisLimits
    let profiling: Bool

    /// The result, and the timings if it was analyzed now.
    func result(for path: String, workspace: Analyzer.Workspace,
                isCancelled: (@Sendable () -> Bool)? = nil) -> (AnalysisResult, FileProfile?) {
        let lookup = cache.lookup(path: path)
        if case .hit(let result) = lookup { return (result, nil) }
        let (result, profile) = analyzer.analyze(path: path, workspace: workspace, profiling: profiling,
                                                 limits: limits, isCancelled: isCancelled)
        if case .miss(let file) = lookup, !(isCancelled?() ?? false) { cache.keep(result, for: file) }
        return (result, profile)
    }
}
