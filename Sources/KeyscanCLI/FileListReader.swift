import Foundation
import Glibc

/// Entries of a list file read one at a time: paths for `--files-from` (one a line, or
/// NUL-separated), lines of an earlier run's JSON lines for `--skip-done`.
///
/// Reads through a 64 KiB buffer, so a list of millions of entries never sits in memory;
/// "-" is stdin.
final class FileListReader {
    /// The list as messages name it: its path, or "stdin".
    let name: String
    /// Entries returned so far (the line number of the last one, for newline-separated lists).
    private(set) var entryNumber = 0
    /// Whether the last entry returned ended with the separator: false for the end of a
    /// file cut short mid-line (a crashed writer's last line).
    private(set) var lastEntryTerminated = true
    /// Where the last entry returned starts, in bytes from the start of the list.
    private(set) var lastEntryOffset = 0
    /// The read error that ended the list early, if one did.
    private(set) var readError: String?

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let separator: UInt8
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of the list dropped from the front of `buffer`.
    private var dropped = 0
    private var atEnd = false

    /// Opens `path` ("-" for stdin); entries end with `separator` (newline or NUL).
    init(path: String, separator: UInt8) throws {
        self.separator = separator
        if path == "-" {
            (name, descriptor, ownsDescriptor) = ("stdin", STDIN_FILENO, false)
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ListError(message: "cannot open \(path): \(String(cString: strerror(errno))) (open)") }
            (name, descriptor, ownsDescriptor) = (path, fd, true)
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    struct ListError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The next entry's bytes, without the separator (and, for newline-separated lists,
    /// without a trailing carriage return, as Windows editors leave one); nil at the end.
    func nextBytes() -> ArraySlice<UInt8>? {
        while true {
            if let end = buffer[start...].firstIndex(of: separator) {
                defer { start = end + 1 }
                entryNumber += 1
                lastEntryOffset = dropped + start
                lastEntryTerminated = true
                return trimmed(buffer[start..<end])
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                entryNumber += 1
                lastEntryOffset = dropped + start
                lastEntryTerminated = false
                return trimmed(buffer[start...])
            }
            fill()
        }
    }

    /// The next non-empty entry as text (invalid UTF-8 repaired with U+FFFD, and `valid`
    /// false); nil at the end.
    func next() -> (text: String, valid: Bool)? {
        while let bytes = nextBytes() {
            guard !bytes.isEmpty else { continue }
            if let text = String(validating: bytes, as: UTF8.self) { return (text, true) }
            return (String(decoding: bytes, as: UTF8.self), false)
        }
        return nil
    }

    private func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        separator == UInt8(ascii: "\n") && bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes
    }

    /// Moves what is left to the front and reads up to 64 KiB more.
    private func fill() {
        buffer.removeSubrange(0..<start)
        dropped += start
        start = 0
        let chunk = 64 << 10
        let old = buffer.count
        buffer += repeatElement(0, count: chunk)
        var got: Int
        repeat { got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) } }
        while got < 0 && errno == EINTR
        if got < 0 { readError = "\(String(cString: strerror(errno))) (read)" }
        buffer.removeLast(chunk - max(0, got))
        if got <= 0 { atEnd = true }
    }
}
