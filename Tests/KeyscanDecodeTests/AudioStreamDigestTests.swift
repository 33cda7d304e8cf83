import Foundation
import Testing
@testable import KeyscanDecode

@Suite struct AudioStreamDigestTests {
    /// Re-muxing with `-c copy` and different tags keeps every packet: the digest must not
    /// change. Vorbis is the hard case: its comment header sits in the codec's extradata.
    /// Two ffmpeg processes make all the files (a process costs about 0.1 s of CPU).
    @Test func tagsDoNotChangeIt() throws {
        let codecs = [("a.mp3", ["-c:a", "libmp3lame"]), ("a.flac", ["-c:a", "flac"]), ("a.ogg", ["-c:a", "libvorbis"]),
                      ("a.opus", ["-c:a", "libopus"]), ("a.m4a", ["-c:a", "aac"]), ("a.wav", ["-c:a", "pcm_s16le"])]
        let directory = try TemporaryDirectory()
        try ffmpeg(sineInput() + codecs.flatMap { file, codec in ["-map", "0:a"] + codec + [directory.path(file)] })
        try ffmpeg(codecs.flatMap { ["-i", directory.path($0.0)] } + codecs.enumerated().flatMap { index, codec in
            ["-map", "\(index):a", "-c", "copy", "-metadata", "title=Another title",
             "-metadata", "comment=\(String(repeating: "long ", count: 400))", directory.path("tagged-" + codec.0)]
        })
        for (file, _) in codecs {
            let plain = directory.path(file), tagged = directory.path("tagged-" + file)
            #expect(try Data(contentsOf: URL(fileURLWithPath: plain)) != Data(contentsOf: URL(fileURLWithPath: tagged)))
            let before = try AudioStreamDigest(path: plain)
            let after = try AudioStreamDigest(path: tagged)
            #expect(before == after, "\(file)")
            #expect(before.packets > 0 && before.bytes > 0)
            #expect(before.sha256.count == 64)
        }
    }

    /// libogg's digest, for Ogg Vorbis FFmpeg cannot demux, hashes what FFmpeg's does: on
    /// files FFmpeg reads the two are equal, and the file FFmpeg refuses has the digest of
    /// its copy without the repeated header set.
    @Test func oggVorbisDigestFromLiboggIsFFmpegs() throws {
        let directory = try TemporaryDirectory()
        for vorbis in VorbisCase.all {
            let path = directory.path("\(vorbis.name).ogg")
            try vorbis.encode(path, seconds: 1)
            #expect(try AudioStreamDigest(oggVorbisAt: path) == AudioStreamDigest(path: path), "\(vorbis.name)")
        }
        let fixture = try #require(OggVorbisFallbackTests.fixture)
        let repaired = directory.path("repaired.ogg")
        try removeRepeatedHeaders(fixture, to: repaired)
        let digest = try AudioStreamDigest(path: fixture)
        #expect(digest == (try AudioStreamDigest(path: repaired)))
        #expect(digest.packets > 600)
    }

    @Test func differentAudioOrOneChangedByteChangesIt() throws {
        let directory = try TemporaryDirectory()
        let a = directory.path("a.wav"), b = directory.path("b.wav"), c = directory.path("c.wav")
        let tone = sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 1)
        try writeWAV(a, sampleRate: 44100, channels: [tone], encoding: .int16)
        try writeWAV(b, sampleRate: 44100, channels: [sine(441, amplitude: 0.5, sampleRate: 44100, seconds: 1)], encoding: .int16)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: a))
        bytes[bytes.count / 2] ^= 1  // one bit of one sample
        try bytes.write(to: URL(fileURLWithPath: c))

        let digest = try AudioStreamDigest(path: a)
        #expect(digest.container == "wav")
        #expect(digest.bytes == 2 * 44100)
        #expect(try AudioStreamDigest(path: b) != digest)
        #expect(try AudioStreamDigest(path: c) != digest)
        #expect(try AudioStreamDigest(path: a) == digest, "the same file gives the same digest")
    }

    @Test func notAudioIsRefused() throws {
        let directory = try TemporaryDirectory()
        let text = directory.path("notes.mp3")
        try Data("just words, no audio".utf8).write(to: URL(fileURLWithPath: text))
        #expect { try AudioStreamDigest(path: text) } throws: { ($0 as? DecodeError)?.code == "not_audio" }
        #expect(throws: DecodeError.fileNotFound(path: directory.path("missing.flac"))) {
            try AudioStreamDigest(path: directory.path("missing.flac"))
        }
    }

    @Test func splitsXiphLacedHeaders() {
        // Three packets of 300, 2 and 5 bytes: count byte 2, lacing 255 45 then 2.
        let packets: [[UInt8]] = [[UInt8](repeating: 1, count: 300), [2, 2], [3, 3, 3, 3, 3]]
        let laced: [UInt8] = [2, 255, 45, 2] + packets.flatMap { $0 }
        let split = laced.withUnsafeBytes { AudioStreamDigest.xiphLaced($0)?.map { Array($0) } }
        #expect(split == packets)
        // Sizes that run past the data are refused, not read.
        let short: [UInt8] = [2, 255, 45, 2, 1, 1]
        #expect(short.withUnsafeBytes { AudioStreamDigest.xiphLaced($0) } == nil)
        #expect([UInt8]().withUnsafeBytes { AudioStreamDigest.xiphLaced($0) } == nil)
    }
}
