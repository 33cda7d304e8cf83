import ArgumentParser
import Keyscan
import KeyscanCache

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
