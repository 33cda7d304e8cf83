import ArgumentParser
import Foundation

/// What every batch subcommand takes: the inputs and the parallelism.
struct BatchOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Audio files or folders.", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp(
        "Also the files or folders listed in FILE, one per line (- for stdin); read as the batch goes, so the list can be of any length.",
        valueName: "file"))
    var filesFrom: String?

    @Flag(name: .customLong("null"), help: "With --files-from, entries end with NUL instead of a newline (find -print0).")
    var nullSeparated = false

    @Option(name: .shortAndLong, help: "Files processed at once (default: all cores).")
    var jobs: Int?

    func validate() throws {
        if paths.isEmpty && filesFrom == nil { throw ValidationError("give at least one audio file or folder, or --files-from") }
        if nullSeparated && filesFrom == nil { throw ValidationError("--null needs --files-from") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    /// The files to process: the paths given (folders searched, sorted), then those of
    /// `--files-from` as it is read; each file once, none of `skipping`.
    func source(skipping: Set<FileIdentity> = []) throws -> PathSource {
        var list: FileListReader?
        if let filesFrom {
            do { list = try FileListReader(path: filesFrom, separator: nullSeparated ? 0 : UInt8(ascii: "\n")) }
            catch { throw ValidationError("--files-from: \(error)") }
        }
        return PathSource(commandLine: paths, list: list, skipping: skipping)
    }

    /// Every file to process, in path order, for outputs that are sorted.
    func files() throws -> [String] {
        let all = try source().all()
        if all.isEmpty { Stderr.write("keyscan: no audio files found in \(described)") }
        return all.sorted()
    }

    var described: String { (paths + (filesFrom.map { ["--files-from \($0)"] } ?? [])).joined(separator: ", ") }

    func batch(_ source: PathSource) -> Batch {
        Batch(source: source, jobs: jobs ?? AvailableCores.count)
    }
}
