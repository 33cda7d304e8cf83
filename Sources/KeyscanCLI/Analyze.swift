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
            Exit status: 0 if every file was analyzed, 1 if some failed, 2 for a usage error. \
            Set PROFILE_PERFORMANCE=1 for per-stage timings on stderr.
            """)

    @Argument(help: ArgumentHelp("Audio files or folders.", valueName: "path"))
    var paths: [String] = []

    @Option(help: "json: one array sorted by path; jsonl: one object per line as each file finishes; csv.")
    var format: ResultFormat = .json

    @Option(name: .shortAndLong, help: "Files analyzed at once (default: all cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("KeyNet weights in safetensors (default: Weights/keyscan.safetensors).", valueName: "path"))
    var model: String?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one audio file or folder") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
        let profiling = ProcessInfo.processInfo.environment["PROFILE_PERFORMANCE"] == "1"
        guard let modelPath = model ?? ModelLocator.defaultModel() else {
            throw ValidationError(ModelLocator.missingModelAdvice)
        }
        setBLASThreadCount(1)
        let analyzer: Analyzer
        do { analyzer = try Analyzer(modelPath: modelPath) }
        catch { throw ValidationError("\(error)") }

        var finder = AudioFileFinder()
        let files = finder.files(in: paths)
        for warning in finder.warnings { Stderr.write("keyscan: \(warning)") }
        if files.isEmpty { Stderr.write("keyscan: no audio files found in \(paths.joined(separator: ", "))") }

        let output = ResultWriter(format: format, count: files.count)
        let start = ContinuousClock.now
        let batch = Batch(files: files, analyzer: analyzer, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                          profiling: profiling)
        let profiles = batch.run { index, result, profile in
            output.add(result, at: index)
            if profiling { Stderr.write(ProfileTable.file(profile)) }
        }
        output.finish()
        if profiling {
            Stderr.write(ProfileTable.summary(profiles, wallSeconds: (ContinuousClock.now - start).seconds,
                                              failures: output.failures))
        }
        if output.failures > 0 { throw ExitCode.someFilesFailed }
    }
}

enum Stderr {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
