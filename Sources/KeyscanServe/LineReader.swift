import Glibc

/// Reads newline-separated lines from a file descriptor (stdin), with a cap on length, so a
/// client that never sends a newline cannot make the server hold unbounded memory.
public struct LineReader {
    public enum Line: Equatable {
        case text(String)
        /// Not UTF-8; the line is skipped.
        case invalidUTF8
        /// Longer than `maximumLength` bytes; skipped up to its newline.
        case tooLong(bytes: Int)
    }

    /// A request is a path and an id; a megabyte is far beyond any real one.
    public static let defaultMaximumLength = 1 << 20

    private let descriptor: Int32
    private let maximumLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// 1-based number of the line last returned.
    public private(set) var lineNumber = 0

    public init(descriptor: Int32 = STDIN_FILENO, maximumLength: Int = defaultMaximumLength) {
        self.descriptor = descriptor
        self.maximumLength = maximumLength
    }

    /// The next line without its newline (a final line without one counts), or nil at the end.
    public mutating func next() -> Line? {
        var skipped = 0  // bytes of an over-long line already thrown away
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[start..<newline]
                start = newline + 1
                lineNumber += 1
                return skipped > 0 || line.count > maximumLength ? .tooLong(bytes: skipped + line.count) : decode(line)
            }
            if buffer.count - start > maximumLength {
                skipped += buffer.count - start
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            if atEnd {
                guard start < buffer.count || skipped > 0 else { return nil }
                let line = buffer[start...]
                buffer.removeAll()
                start = 0
                lineNumber += 1
                return skipped > 0 ? .tooLong(bytes: skipped + line.count) : decode(line)
            }
            fill()
        }
    }

    private mutating func fill() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return
            }
            if count < 0 && errno == EINTR { continue }
            atEnd = true  // end of input, or a read error: either way nothing more will come
            return
        }
    }

    private func decode(_ bytes: ArraySlice<UInt8>) -> Line {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }  // CRLF from Windows clients
        guard let text = String(validating: bytes, as: UTF8.self) else { return .invalidUTF8 }
        return .text(text)
    }
}
