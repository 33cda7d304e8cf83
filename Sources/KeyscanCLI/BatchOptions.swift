import ArgumentParser
import Foundation

/// What every batch subcommand takes: the inputs and the parallelism.
struct BatchOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Audio files or folders.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .shortAndLong, help: "Files processed at once (default: all cores).")
    var jobs: Int?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one audio file or folder") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    /// The files to process, sorted; unreadable folders are reported on stderr.
    func files() -> [String] {
        var finder = AudioFileFinder()
        let files = finder.files(in: paths)
        for warning in finder.warnings { Stderr.write("keyscan: \(warning)") }
        if files.isEmpty { Stderr.write("keyscan: no audio files found in \(paths.joined(separator: ", "))") }
        return files
    }

    func batch(_ files: [String]) -> Batch {
        Batch(files: files, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}
