import Foundation
import Testing
@testable import KeyscanCLI

/// The list reader behind --files-from and --skip-done, the identity that spots duplicates,
/// and the reading of an earlier run's results.
@Suite struct FileListReaderTests {
    /// Entries of many lengths, so that some straddle the reader's 64 KiB buffer.
    static let entries = (0..<20_000).map { "/music/\($0)/" + String(repeating: "é", count: $0 % 97) + ".mp3" }

    @Test func readsEveryEntryAcrossBufferBoundaries() throws {
        let folder = try TemporaryFolder()
        for (separator, name) in [("\n", "lines"), ("\0", "nul")] {
            let url = folder.path(name)
            try Data((Self.entries.joined(separator: separator) + separator).utf8).write(to: url)
            let reader = try FileListReader(path: url.path, separator: UInt8(ascii: separator == "\n" ? "\n" : "\0"))
            var got: [String] = []
            while let entry = reader.next() {
                #expect(entry.valid)
                got.append(entry.text)
            }
            #expect(got == Self.entries, "\(name): \(got.count) entries")
            #expect(reader.lastEntryTerminated)
            #expect(reader.readError == nil)
        }
    }

    @Test func dropsCarriageReturnsAndBlankLinesAndNotesAnUnfinishedLastLine() throws {
        let folder = try TemporaryFolder()
        let url = folder.path("list")
        try Data("a.mp3\r\n\n\nb c.mp3\nlast".utf8).write(to: url)
        let reader = try FileListReader(path: url.path, separator: UInt8(ascii: "\n"))
        #expect(reader.next()?.text == "a.mp3")
        #expect(reader.next()?.text == "b c.mp3")
        #expect(reader.lastEntryTerminated)
        #expect(reader.next()?.text == "last")
        #expect(!reader.lastEntryTerminated)
        #expect(reader.lastEntryOffset == 17, "where `last` starts")
        #expect(reader.next() == nil)

        let bad = folder.path("bad")
        try Data([0x61, 0xFF, 0x62, 0x0A]).write(to: bad)
        let invalid = try #require(try FileListReader(path: bad.path, separator: UInt8(ascii: "\n")).next())
        #expect(!invalid.valid, "not UTF-8")
        #expect(throws: FileListReader.ListError.self) { try FileListReader(path: folder.path("none").path, separator: 10) }
    }

    @Test func identityIsTheRealPath() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("a.wav")
        try Data("x".utf8).write(to: file)
        try FileManager.default.createSymbolicLink(atPath: folder.path("link.wav").path, withDestinationPath: file.path)
        try FileManager.default.linkItem(atPath: file.path, toPath: folder.path("hard.wav").path)
        let a = FileIdentity(path: file.path)
        #expect(FileIdentity(path: folder.url.path + "/./a.wav") == a)
        #expect(FileIdentity(path: folder.url.path + "/../" + folder.url.lastPathComponent + "/a.wav") == a)
        #expect(FileIdentity(path: folder.path("link.wav").path) == a, "a symlink is its target")
        #expect(FileIdentity(path: folder.path("hard.wav").path) != a, "a hard link is a file of its own")
        #expect(FileIdentity(path: folder.path("gone/../gone.wav").path) == FileIdentity(path: folder.path("gone.wav").path),
                "missing files compare as absolute paths")
    }

    @Test func doneResultsCountWholeResultLinesOnly() throws {
        let folder = try TemporaryFolder()
        let url = folder.path("out.jsonl")
        let whole = #"{"path": "/m/a.mp3", "status": "ok"}"# + "\n" + #"{"path": "/m/b.mp3", "status": "error"}"# + "\n"
        try Data((whole + #"{"path": "/m/c.mp3", "sta"#).utf8).write(to: url)
        let done = try DoneResults(path: url.path)
        #expect(done.identities == [FileIdentity(path: "/m/a.mp3"), FileIdentity(path: "/m/b.mp3")])
        #expect(done.lines == 3)
        #expect(done.unreadable == 1)
        #expect(done.cutLineOffset == whole.utf8.count)
        #expect(!done.lacksFinalNewline)

        try Data(whole.dropLast().utf8).write(to: url)
        let unterminated = try DoneResults(path: url.path)
        #expect(unterminated.identities.count == 2, "a whole result without its newline still counts")
        #expect(unterminated.cutLineOffset == nil)
        #expect(unterminated.lacksFinalNewline)
    }
}
