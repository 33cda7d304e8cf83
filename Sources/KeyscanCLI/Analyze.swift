import ArgumentParser
import Foundation
import Keyscan
import KeyscanModel
import KeyscanReport

extension ResultFormat: ExpressibleByArgument {}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the key of audio files and folders; results go to stdout.",
        discussion: """
            Folders are searched recursively (hidden files and symlink loops skipped). Every file \
            gets a result, an error result if it cannot be analyzed; the batch always goes on. \
            Results are cached: a file analyzed before with the same model, size and modification \
            time is not analyzed again (its result says "cached": true). \
            Silence and noise get status no_key, which is not a failure. A file that runs past \
            --timeout plus --timeout-per-audio-second for each second of audio decoded fails \
            with error timeout. \
            Files are only read, unless --write-tags is given: then each analyzed file's key is \
            written into its own tag (ID3v2 TKEY for MP3, WAV and AIFF; INITIALKEY for FLAC, Ogg \
            and Opus; ----:com.apple.iTunes:initialkey for MP4/M4A; WM/InitialKey for WMA) \
            through a verified copy that replaces the file, so a failed write leaves it as it was. \
            Exit status: 0 if every file was analyzed (and tagged), 1 if some failed, 2 for a \
            usage error. Set PROFILE_PERFORMANCE=1 for per-stage timings on stderr.
            """)

    @OptionGroup var options: BatchOptions
    @OptionGroup var cacheOptions: CacheOptions

    @Option(help: "json: one array sorted by path; jsonl: one object per line as each file finishes; csv.")
    var format: ResultFormat = .json

    @Option(help: ArgumentHelp("KeyNet weights in safetensors (default: Weights/keyscan.safetensors).", valueName: "path"))
    var model: String?

    @Flag(name: .shortAndLong, help: "No progress line on stderr (it is shown only when stderr is a terminal).")
    var quiet = false

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var timelineOptions: TimelineOptions

    @Flag(help: "Write each detected key into the file's own tag; a key a file already has is kept.")
    var writeTags = false

    @Option(help: ArgumentHelp(
        "With --write-tags, how the key is written: standard (\"Am\", \"F#\": ID3's TKEY form, the default), camelot (\"8A\") or openkey (\"1m\").",
        valueName: "notation"))
    var tagNotation: KeyNotation?

    @Flag(help: "With --write-tags, replace keys files already have.")
    var overwriteTags = false

    func validate() throws {
        if !writeTags && tagNotation != nil { throw ValidationError("--tag-notation needs --write-tags") }
        if !writeTags && overwriteTags { throw ValidationError("--overwrite-tags needs --write-tags") }
    }

    func run() throws {
        let profiling = ProcessInfo.processInfo.environment["PROFILE_PERFORMANCE"] == "1"
        let analyzer = try Self.analyzer(model: model, timeline: timelineOptions.timeline)
        let tagging = writeTags
            ? KeyTagging(notation: tagNotation ?? .standard, overwrite: overwriteTags,
                         environment: ProcessInfo.processInfo.environment)
            : nil
        let library = LibraryAnalyzer(analyzer: analyzer, cache: cacheOptions.open(for: analyzer),
                                      limits: limitOptions.limits, tagging: tagging, profiling: profiling)
        let files = options.files()

        let output = ResultWriter(format: format)
        let profiles = Locked<[FileProfile]>([])
        let progress = ProgressLine.start(total: files.count, quiet: quiet)
        let start = ContinuousClock.now
        options.batch(files).run(prepare: { threads in
            Analyzer.Workspace(for: analyzer, threads: threads)
        }, work: { path, workspace in
            library.result(for: path, workspace: workspace)
        }, deliver: { index, outcome in
            output.add(outcome.0, at: index)
            progress?.add(outcome.0)
            if let profile = outcome.1, profiling {
                profiles.mutate { $0.append(profile) }
                Stderr.write(ProfileTable.file(profile))
            }
        })
        output.finish()
        progress?.finish()
        if profiling {
            Stderr.write(ProfileTable.summary(profiles.value, wallSeconds: (ContinuousClock.now - start).seconds,
                                              failures: output.failures))
        }
        if output.failures > 0 { throw ExitCode.someFilesFailed }
    }
}

extension Analyze {
    /// Loads the model given with --model, or the default one.
    static func analyzer(model: String?, timeline: KeyTimeline) throws -> Analyzer {
        guard let modelPath = model ?? ModelLocator.defaultModel() else {
            throw ValidationError(ModelLocator.missingModelAdvice)
        }
        // One BLAS thread per product: keyscan parallelises over files, chunks and tiles itself.
        setBLASThreadCount(1)
        do { return try Analyzer(modelPath: modelPath, timeline: timeline) }
        catch { throw ValidationError("\(error)") }
    }
}

enum Stderr {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}
