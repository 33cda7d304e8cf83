import Foundation
import Glibc
import KeyscanDecode
import Testing
@testable import KeyscanTags

@Suite struct KeyTagWriterTests {
    static let fields = ["a.mp3": ("MPEG", "ID3v2 TKEY"), "a.aiff": ("AIFF", "ID3v2 TKEY"), "a.wav": ("WAV", "ID3v2 TKEY"),
                         "a.flac": ("FLAC", "Xiph comment INITIALKEY"), "a.ogg": ("Ogg Vorbis", "Xiph comment INITIALKEY"),
                         "a.opus": ("Ogg Opus", "Xiph comment INITIALKEY"),
                         "a.m4a": ("MP4", "MP4 ----:com.apple.iTunes:initialkey"), "a.wma": ("ASF", "ASF WM/InitialKey")]

    @Test(arguments: containers.map(\.file))
    func writesKeepsAndOverwritesEachType(file: String) throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy(file, to: folder)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let audio = try AudioStreamDigest(path: path)

        let fresh = try KeyTag(path: path)
        #expect(fresh.type == Self.fields[file]!.0)
        #expect(fresh.field == Self.fields[file]!.1)
        #expect(fresh.key == nil)

        #expect(try KeyTagWriter().write("Am", to: path) == .written("Am"))
        #expect(try KeyTag(path: path).key == "Am")
        #expect(try KeyTagWriter().write("8A", to: path) == .kept("Am"), "a key already there is kept")
        #expect(try KeyTagWriter(overwrite: true).write("8A", to: path) == .written("8A"))
        #expect(try KeyTag(path: path).key == "8A")

        #expect(try AudioStreamDigest(path: path) == audio)
        #expect(try mode(path) == 0o640, "the mode survives the replacement")
        #expect(folder.names == [file], "no temporary file is left behind")
    }

    @Test func anUnchangedKeyIsNotRewritten() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("initialkey.flac", to: folder)
        let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
        #expect(try KeyTagWriter(overwrite: true).write("Am", to: path) == .kept("Am"))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber == inode)
    }

    @Test func xiphKEYIsReadAndUpdatedButNeverAdded() throws {
        let folder = try TemporaryFolder()
        let withKey = try Fixtures.copy("key.flac", to: folder), without = try Fixtures.copy("a.ogg", to: folder)
        #expect(try KeyTag(path: withKey).key == "Dm", "an older tagger's KEY counts as a key")
        #expect(try KeyTagWriter().write("Am", to: withKey) == .kept("Dm"))
        #expect(try KeyTagWriter(overwrite: true).write("Am", to: withKey) == .written("Am"))
        // Both fields now say Am: written as a pair, so "unchanged" means both match.
        #expect(try KeyTagWriter(overwrite: true).write("Am", to: withKey) == .kept("Am"))
        #expect(try KeyTagWriter().write("Am", to: without) == .written("Am"))
        let updated = try vorbisComments(withKey), added = try vorbisComments(without)
        #expect(updated["INITIALKEY"] == "Am" && updated["KEY"] == "Am", "\(updated)")
        #expect(added["INITIALKEY"] == "Am" && added["KEY"] == nil, "\(added)")
    }

    @Test func id3v23StaysAndNoID3v1IsAdded() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("old.mp3", to: folder)
        #expect(try bytes(path)[3] == 3)
        #expect(try KeyTagWriter().write("F#m", to: path) == .written("F#m"))
        let tagged = try bytes(path)
        #expect(tagged.prefix(4) == Data("ID3\u{3}".utf8), "still ID3v2.3")
        #expect(tagged.suffix(128).prefix(3) != Data("TAG".utf8), "no ID3v1 tag appended")
        #expect(try KeyTag(path: path).key == "F#m")
    }

    @Test func aWAVsINFOChunkStaysAsItWas() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("info.wav", to: folder)
        let infoBefore = try chunks(path).first { $0.id == "LIST" }
        #expect(infoBefore != nil)
        #expect(try KeyTagWriter().write("Eb", to: path) == .written("Eb"))
        let after = try chunks(path)
        #expect(after.first { $0.id == "LIST" }?.data == infoBefore?.data)
        #expect(after.contains { $0.id == "ID3 " })
    }

    @Test func aSymlinksTargetIsReplacedAndTheLinkKept() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path("music"), withIntermediateDirectories: true)
        let target = try Fixtures.copy("a.flac", to: folder, as: "music/a.flac"), link = folder.path("link.flac")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "music/a.flac")
        #expect(try KeyTagWriter().write("C", to: link) == .written("C"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "music/a.flac")
        #expect(try KeyTag(path: target).key == "C")
        #expect(folder.names == ["link.flac", "music"])
    }

    @Test func aHardLinkKeepsTheOldContents() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.mp3", to: folder), other = folder.path("b.mp3")
        try FileManager.default.linkItem(atPath: path, toPath: other)
        let original = try bytes(path)
        #expect(try KeyTagWriter().write("G", to: path) == .written("G"))
        #expect(try bytes(other) == original, "documented: the tagged file is a new inode")
        #expect(try KeyTag(path: path).key == "G")
    }

    @Test func aReadOnlyFileIsLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.mp3", to: folder)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        let original = try bytes(path)
        #expect(throws: TagError.readOnly(path: path)) { try KeyTagWriter().write("Am", to: path) }
        #expect(try bytes(path) == original)
        #expect(TagError.readOnly(path: path).message.hasSuffix("the file is unchanged"))
    }

    @Test(.enabled(if: getuid() != 0, "root may write in any folder"))
    func aFolderThatIsNotWritableFailsCleanly() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.ogg", to: folder)
        let original = try bytes(path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.url.path)
        #expect { try KeyTagWriter().write("Am", to: path) } throws: { error in
            guard case .system(_, "open", _, EACCES) = error as? TagError else { return false }
            return true
        }
        #expect(try bytes(path) == original)
    }

    @Test func aCopyThatCannotBeMadeFailsCleanly() throws {
        // The temporary name is taken by a folder: open(2) fails, even for root.
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.wav", to: folder)
        let original = try bytes(path)
        let blocker = TemporaryCopy.temporaryPath(for: path)
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        #expect { try KeyTagWriter().write("Am", to: path) } throws: { error in
            guard case .system(_, "open", _, EISDIR) = error as? TagError else { return false }
            return (error as! TagError).message.contains("Is a directory")
        }
        #expect(try bytes(path) == original)
    }

    @Test func aFailureAtTheLastStepRemovesTheCopy() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.flac", to: folder)
        let original = try bytes(path)
        // With the copy tagged, verified and synced, a non-empty folder takes the file's
        // place (the file moves aside), so rename(2) fails.
        let writer = KeyTagWriter(beforeReplacing: { _ in
            try? FileManager.default.moveItem(atPath: path, toPath: path + ".aside")
            try? FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        })
        #expect { try writer.write("Am", to: path) } throws: { error in
            guard case .system(_, "rename", _, _) = error as? TagError else { return false }
            return true
        }
        #expect(folder.names == ["a.flac", "a.flac.aside"], "the copy is gone")
        #expect(try bytes(path + ".aside") == original)
    }

    @Test func aStaleCopyIsReusedAndALockedOneRefused() throws {
        let folder = try TemporaryFolder()
        let path = try Fixtures.copy("a.m4a", to: folder)
        let original = try bytes(path)
        let temporary = TemporaryCopy.temporaryPath(for: path)

        // Another writer at work holds the lock on the copy: refuse, touch nothing.
        try Data("half a copy".utf8).write(to: URL(fileURLWithPath: temporary))
        let other = open(temporary, O_RDWR)
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
        #expect(throws: TagError.busy(path: path, temporary: temporary)) { try KeyTagWriter().write("Am", to: path) }
        #expect(try bytes(path) == original)
        #expect(try bytes(temporary) == Data("half a copy".utf8), "another writer's copy is not touched")

        // The writer died (its lock went with it): its copy is overwritten, used and gone.
        close(other)
        #expect(try KeyTagWriter().write("Am", to: path) == .written("Am"))
        #expect(try KeyTag(path: path).key == "Am")
        #expect(folder.names == ["a.m4a"])
    }

    @Test func filesKeyscanDoesNotTagAreRefusedUnchanged() throws {
        let folder = try TemporaryFolder()
        let matroska = try Fixtures.copy("flac.mka", to: folder), wavpack = try Fixtures.copy("a.wv", to: folder)
        let text = folder.path("notes.mp3")
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: text))
        let originals = try [matroska, wavpack, text].map(bytes)

        // TagLib 1.13 takes this Matroska file for FLAC (it finds "fLaC" in the codec private
        // data) and would write FLAC blocks into it; FFmpeg knows better.
        #expect(throws: TagError.typeMismatch(path: matroska, tagLibType: "FLAC", ffmpegContainer: "matroska,webm")) {
            try KeyTagWriter().write("Am", to: matroska)
        }
        #expect(throws: TagError.unsupportedType(path: wavpack, type: "WavPack")) { try KeyTagWriter().write("Am", to: wavpack) }
        // TagLib's MPEG parser accepts any bytes named .mp3; FFmpeg does not.
        #expect { try KeyTagWriter().write("Am", to: text) } throws: { error in
            guard case .audioUnreadable(_, let decode) = error as? TagError else { return false }
            return decode.code == "not_audio"
        }
        #expect(try [matroska, wavpack, text].map(bytes) == originals)
        #expect(TagError.unsupportedType(path: wavpack, type: "WavPack").message.contains("WavPack"))
    }

    @Test func temporaryNamesAreHiddenBesideTheFileAndKeepTheExtension() {
        #expect(TemporaryCopy.temporaryPath(for: "/music/Song.MP3") == "/music/.Song.keyscan-tmp.MP3")
        #expect(TemporaryCopy.temporaryPath(for: "/music/.hidden.flac") == "/music/..hidden.keyscan-tmp.flac")
        #expect(TemporaryCopy.temporaryPath(for: "/music/noext") == "/music/.noext.keyscan-tmp")
        #expect(TemporaryCopy.temporaryPath(for: "/top.ogg") == "/.top.keyscan-tmp.ogg")
        let long = "/m/" + String(repeating: "ü", count: 124) + ".opus"  // 248 bytes + ".opus"
        let temporary = TemporaryCopy.temporaryPath(for: long)
        #expect(temporary.hasPrefix("/m/.keyscan-tmp-") && temporary.hasSuffix(".opus"))
        #expect(temporary == TemporaryCopy.temporaryPath(for: long), "stable, so a stale copy is found again")
    }
}

/// The Vorbis comments of a FLAC or Ogg file as ffprobe reads them, names upper-cased.
func vorbisComments(_ path: String) throws -> [String: String] {
    let json = try run("ffprobe", ["-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", path])
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    var tags: [String: String] = [:]
    let streams = (object?["streams"] as? [[String: Any]]) ?? []
    for case let source? in [object?["format"] as? [String: Any]] + streams.map(Optional.some) {
        for (name, value) in (source["tags"] as? [String: String]) ?? [:] { tags[name.uppercased()] = value }
    }
    return tags
}

/// The chunks of a RIFF (little-endian) file: id and data.
func chunks(_ path: String) throws -> [(id: String, data: Data)] {
    let data = try bytes(path)
    var found: [(String, Data)] = []
    var offset = 12
    while offset + 8 <= data.count {
        let id = String(decoding: data[offset..<(offset + 4)], as: UTF8.self)
        let size = data[(offset + 4)..<(offset + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        found.append((id, data[(offset + 8)..<min(data.count, offset + 8 + size)]))
        offset += 8 + size + (size & 1)
    }
    return found
}
