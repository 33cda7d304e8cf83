import ArgumentParser
import Foundation
import Glibc

/// `--skip-done`: the files earlier runs answered, and how to append after them.
///
/// Resuming from the output rather than from the cache: the output is what the caller
/// keeps as the record of the run, so skipping what it holds gives one complete file at
/// the end (`>> out.jsonl`) with each file once, while the cache would answer the done
/// files again (fast, but into the output a second time); it also skips files whose answer
/// the cache never stores (missing files, timeouts) and works with `--no-cache` or a cache
/// on another machine.
struct ResumePoint {
    /// Files answered in any of the files.
    private(set) var done = Set<FileIdentity>()
    /// Whether stdout is one of the files and that file's last line, a result or a cut-short
    /// line that could not be removed, has no newline: output must then begin with one, or
    /// its first result would be glued to that line.
    private(set) var appendsAfterCutLine = false

    init(files: [String]) throws {
        for file in files {
            let results: DoneResults
            do { results = try DoneResults(path: file) }
            catch { throw ValidationError("--skip-done: \(error)") }
            done.formUnion(results.identities)
            if results.unreadable > 0 {
                Stderr.write("keyscan: --skip-done \(file): \(results.unreadable) of \(results.lines) lines are not results "
                             + "(the last line of a run that was stopped?); their files are analyzed again")
            }
            guard Self.isStandardOutput(file) else { continue }
            if fcntl(STDOUT_FILENO, F_GETFL) & O_APPEND == 0 {
                Stderr.write("keyscan: warning: stdout is \(file), opened without appending: use >> \(file) to keep the "
                             + "results it held")
            }
            if results.lacksFinalNewline { appendsAfterCutLine = true }
            guard let cut = results.cutLineOffset else { continue }
            // The results go on where the cut line starts, so the file ends up whole JSON
            // lines: its bytes after the last newline are no result anyway (see above).
            if ftruncate(STDOUT_FILENO, off_t(cut)) == 0 {
                Stderr.write("keyscan: --skip-done \(file): removed its cut-short last line before appending")
            } else {
                Stderr.write("keyscan: --skip-done \(file): could not remove its cut-short last line "
                             + "(ftruncate: \(String(cString: strerror(errno)))); results start on the next line")
                appendsAfterCutLine = true
            }
        }
    }

    /// Whether `path` is the file stdout writes to.
    static func isStandardOutput(_ path: String) -> Bool {
        var file = stat(), out = stat()
        guard stat(path, &file) == 0, fstat(STDOUT_FILENO, &out) == 0 else { return false }
        return file.st_dev == out.st_dev && file.st_ino == out.st_ino
    }
}

/// The files an earlier run answered, from its JSON lines output (`--skip-done`).
///
/// Every complete line that is a result object (with `path` and `status`: ok, no_key or
/// error) counts as answered. Anything else, such as the last line of a run killed while
/// writing it, is not, and its file is analyzed again.
struct DoneResults {
    private(set) var identities = Set<FileIdentity>()
    private(set) var lines = 0
    private(set) var unreadable = 0
    /// Where the file's last line starts if it has no newline and is no result (a
    /// cut-short last line).
    private(set) var cutLineOffset: Int?
    /// Whether the file's last line is a result without its newline.
    private(set) var lacksFinalNewline = false

    init(path: String) throws {
        let reader = try FileListReader(path: path, separator: UInt8(ascii: "\n"))
        var lastIsResult = true
        while let bytes = reader.nextBytes() {
            guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
                lastIsResult = false
                continue
            }
            lines += 1
            if let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
               let path = object["path"] as? String, object["status"] is String {
                identities.insert(FileIdentity(path: path))
                lastIsResult = true
            } else {
                unreadable += 1
                lastIsResult = false
            }
        }
        if let error = reader.readError { throw FileListReader.ListError(message: "cannot read \(path): \(error)") }
        if !reader.lastEntryTerminated {
            if lastIsResult { lacksFinalNewline = true } else { cutLineOffset = reader.lastEntryOffset }
        }
    }
}
