import ArgumentParser
import Foundation
import Keyscan
import KeyscanModel

/// What every batch subcommand takes: the inputs, the parallelism and the model.
struct BatchOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Audio files or folders.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .shortAndLong, help: "Files processed at once (default: all cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("KeyNet weights in safetensors (default: Weights/keyscan.safetensors).", valueName: "path"))
    var model: String?

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

    /// Loads the model given with --model, or the default one.
    func analyzer() throws -> Analyzer {
        guard let modelPath = model ?? ModelLocator.defaultModel() else {
            throw ValidationError(ModelLocator.missingModelAdvice)
        }
        // One BLAS thread per product: keyscan parallelises over files, chunks and tiles itself.
        setBLASThreadCount(1)
        do { return try Analyzer(modelPath: modelPath) }
        catch { throw ValidationError("\(error)") }
    }

    func batch(_ files: [String], _ analyzer: Analyzer) -> Batch {
        Batch(files: files, analyzer: analyzer, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}
