import Glibc
import Testing
@testable import KeyscanServe

/// Feeds `text` through a pipe and collects what the reader returns.
private func lines(_ bytes: [UInt8], maximumLength: Int = LineReader.defaultMaximumLength) -> [LineReader.Line] {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    // A writer thread, so inputs larger than the pipe buffer cannot block the test.
    let writer = fds[1]
    let thread = Thread { bytes.withUnsafeBytes { _ = write(writer, $0.baseAddress, $0.count) }; close(writer) }
    thread.start()
    var reader = LineReader(descriptor: fds[0], maximumLength: maximumLength)
    var result: [LineReader.Line] = []
    while let line = reader.next() { result.append(line) }
    close(fds[0])
    return result
}

import Foundation

@Suite struct LineReaderTests {
    @Test func splitsOnNewlinesAndKeepsALastLineWithoutOne() {
        #expect(lines(Array("a\nbü\r\n\nlast".utf8)) == [.text("a"), .text("bü"), .text(""), .text("last")])
        #expect(lines([]) == [])
    }

    @Test func overlongAndInvalidLinesAreSkippedNotFatal() {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        #expect(lines(long + Array("\nok\n".utf8), maximumLength: 1000) == [.tooLong(bytes: 300_000), .text("ok")])
        #expect(lines([0xff, 0xfe, 0x0a] + Array("ok".utf8)) == [.invalidUTF8, .text("ok")])
    }
}
