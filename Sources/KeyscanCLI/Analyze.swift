import ArgumentParser
import Foundation
import Keyscan
import KeyscanDecode
import KeyscanModel
import KeyscanResults

extension ResultFormat: ExpressibleByArgument {}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the key of audio files and folders; results go to stdout.",
        discussion: """
            Folders are searched recursively (hidden files and symlink loops skipped). Every file \
            gets a result, an error result if it cannot be analyzed; the batch always goes on. \
            A file named by several paths (links, repeated lines of --files-from) is analyzed once. \
            With --format jsonl a --files-from list is read as the batch goes and results are \
            written as files finish, so memory stays flat for lists of any length. \
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
    @OptionGroup var frontEndOptions: FrontEndOptions

    @Flag(help: "Write each detected key into the file's own tag; a key a file already has is kept.")
    var writeTags = false

    @Option(help: ArgumentHelp(
        "With --write-tags, how the key is written: standard (\"Am\", \"F#\": ID3's TKEY form, the default), camelot (\"8A\") or openkey (\"1m\").",
        valueName: "notation"))
    var tagNotation: KeyNotation?

    @Flag(help: "With --write-tags, replace keys files already have.")
    var overwriteTags = false

    @Option(help: ArgumentHelp(
        "Skip the files answered in FILE, an earlier run's --format jsonl output, to resume it: --skip-done out.jsonl >> out.jsonl.",
        valueName: "file"))
    var skipDone: [String] = []

    func validate() throws {
        if !writeTags && tagNotation != nil { throw ValidationError("--tag-notation needs --write-tags") }
        if !writeTags && overwriteTags { throw ValidationError("--overwrite-tags needs --write-tags") }
    }

    func run() throws {
        let profiling = ProcessInfo.processInfo.environment["PROFILE_PERFORMANCE"] == "1"
        let analyzer = try Self.analyzer(model: model, timeline: timelineOptions, frontEnd: frontEndOptions.frontEnd)
        let tagging = writeTags
            ? KeyTagging(notation: tagNotation ?? .standard, overwrite: overwriteTags,
                         environment: ProcessInfo.processInfo.environment)
            : nil
        let library = LibraryAnalyzer(analyzer: analyzer, cache: cacheOptions.open(for: analyzer),
                                      limits: limitOptions.limits, tagging: tagging, profiling: profiling)
        let resume = try ResumePoint(files: skipDone)
        let source = try options.source(skipping: resume.done)
        // jsonl streams: files are taken from the list as workers ask for them and each
        // result is written when it is ready, so memory does not grow with the list. json
        // and csv are sorted by path, so they need every path first.
        let files = format == .jsonl ? source : PathSource(files: source.all().sorted())

        let output = ResultWriter(format: format, startOnNewLine: format == .jsonl && resume.appendsAfterCutLine)
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
        if source.skipped > 0 {
            Stderr.write("keyscan: \(source.skipped) file\(source.skipped == 1 ? "" : "s") skipped, answered in \(skipDone.joined(separator: ", "))")
        }
        if source.duplicates > 0 {
            Stderr.write("keyscan: \(source.duplicates) path\(source.duplicates == 1 ? "" : "s") skipped: the same file as a path before")
        }
        if output.count == 0 && source.skipped == 0 { Stderr.write("keyscan: no audio files found in \(options.described)") }
        if let error = source.listError {
            Stderr.write("keyscan: --files-from stopped early: \(error)")
            throw ExitCode.usage
        }
        if output.failures > 0 { throw ExitCode.someFilesFailed }
    }
}

extension Analyze {
    /// Loads the model given with --model, or the default one.
    static func analyzer(model: String?, timeline: TimelineOptions, frontEnd: FrontEnd?) throws -> Analyzer {
        guard let modelPath = model ?? ModelLocator.defaultModel() else {
            throw ValidationError(ModelLocator.missingModelAdvice)
        }
        // One BLAS thread per product: keyscan parallelises over files, chunks and tiles itself.
        setBLASThreadCount(1)
        do {
            return try Analyzer(modelPath: modelPath, timelineResolution: timeline.timelineResolution,
                                timelineSwitchPenalty: timeline.timelineSwitchPenalty, frontEnd: frontEnd,
                                oggVorbis: oggVorbisDecoding())
        }
        catch { throw ValidationError("\(error)") }
    }

    /// For tests only: with KEYSCAN_TEST_FORCE_LIBVORBISFILE=1, Ogg Vorbis is decoded by
    /// libvorbisfile even where FFmpeg reads it, so the tests can compare the fallback with
    /// FFmpeg's path through the real binary. Read here and nowhere else.
    static func oggVorbisDecoding(environment: [String: String] = ProcessInfo.processInfo.environment) -> OggVorbisDecoding {
        environment[OggVorbisDecoding.testVariable] == "1" ? .libvorbisfile : .ffmpegThenLibvorbisfile
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
