import Glibc
import KeyscanResults
import Synchronization

/// Writes whole JSON lines to a file descriptor (stdout), one writer at a time.
///
/// Each line goes out in full with write(2) before the next starts, so lines from
/// different threads never interleave and nothing waits in a buffer. Once the reader
/// has gone (EPIPE), further lines are dropped and `isClosed` turns true.
public final class LineOutput: Sendable {
    private let descriptor: Int32
    private let lock = Mutex(())
    private let closed = Atomic<Bool>(false)

    /// Writing to a closed pipe must give EPIPE, not kill the process.
    public init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
        signal(SIGPIPE, SIG_IGN)
    }

    public var isClosed: Bool { closed.load(ordering: .relaxed) }

    public func send(_ message: JSONValue) {
        let bytes = Array((message.serialized + "\n").utf8)
        lock.withLock { _ in
            guard !isClosed else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    closed.store(true, ordering: .relaxed)
                    return
                }
                offset += written
            }
        }
    }
}
