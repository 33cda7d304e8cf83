import ArgumentParser
import Foundation
import KeyscanLibraryPage

/// `keyscan report`: the library as one HTML page.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a library's results as one self-contained HTML page.",
        discussion: """
            The page holds a Camelot wheel (tracks per key; click a key to filter), the track \
            table (key, confidence, tuning, key changes, length, the key timeline as a strip; \
            sortable, with a text filter), what each track mixes into (as `keyscan mix` ranks \
            it), and the files that failed. CSS, script and data are inline: it opens from \
            file:// and fetches nothing. Exit status: 0 when the page was written, 2 for a \
            usage or set-up error (a results file missing or malformed, no cache).
            """)

    @Argument(help: ArgumentHelp(
        "Results of `keyscan analyze --format json` or `--format jsonl`; with --cache, folders to report (default: all the cache holds).",
        valueName: "results"))
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output: String

    @Flag(help: "Report what the result cache holds for the folders given, not results files.")
    var cache = false

    @Option(help: ArgumentHelp("With --cache, the cache file (default: $XDG_CACHE_HOME/keyscan/results.sqlite).", valueName: "path"))
    var cacheFile: String?

    @Option(help: ArgumentHelp("The page's title.", valueName: "text"))
    var title = "keyscan library"

    @Option(help: ArgumentHelp("How many tracks each track's \"mixes into\" list shows (0–50).", valueName: "n"))
    var mixes = 10

    func validate() throws {
        if !cache && inputs.isEmpty { throw ValidationError("give results files (from keyscan analyze), or --cache") }
        if cacheFile != nil && !cache { throw ValidationError("--cache-file needs --cache") }
        if !(0...50).contains(mixes) { throw ValidationError("--mixes must be between 0 and 50, got \(mixes)") }
    }

    func run() throws {
        let results = cache ? try LibraryResults.fromCache(cacheFile, folders: inputs) : try LibraryResults.read(files: inputs)
        let page = LibraryPage(results: results, title: title, mixLimit: mixes)
        do { try Data(page.html.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) }
        catch { throw ValidationError("cannot write \(output): \(error.localizedDescription)") }
        let keyed = results.filter(\.succeeded).count
        Stderr.write("keyscan: wrote \(output): \(keyed) tracks with a key, \(results.count - keyed) without")
    }
}
