import Foundation
import KeyscanTestSupport
import Testing
import KeyscanDecode

/// One MP3 decoded on two threads (`MP3Split`): the same samples, in the same blocks, with
/// the same warnings, as the one sequential decoder, bit for bit; and every way out of it.
@Suite struct MP3SplitTests {
    static let rate = 11025
    static let split = MP3Split(threads: 2)

    /// `seconds` of a chord gliding in pitch, a pulsing high tone and noise: Huffman tables,
    /// the bit reservoir and both block types all in use, unlike a steady tone. (No commas:
    /// they would end the filter.)
    static func music(seconds: Int, sampleRate: Int = 44100, stereo: Bool = true) -> [String] {
        let left = "0.3*sin(2*PI*220*t*(1+0.05*sin(t)))+0.2*sin(2*PI*330*t)+0.1*sin(2*PI*1760*t)*(1+sin(2*PI*t))+0.05*(random(0)-0.5)"
        let right = "0.3*sin(2*PI*277*t)+0.2*sin(2*PI*440*t*(1+0.02*sin(3*t)))+0.05*(random(1)-0.5)"
        return ["-f", "lavfi", "-i", "aevalsrc=\(stereo ? "\(left)|\(right)" : left):s=\(sampleRate):d=\(seconds)"]
    }

    /// Every sample, and each block's length.
    static func decode(_ path: String, split: MP3Split) throws -> (samples: [Float], blocks: [Int], decoder: AudioDecoder) {
        let decoder = try AudioDecoder(path: path, sampleRate: rate, mp3: .libmpg123, mp3Split: split)
        var samples: [Float] = [], blocks: [Int] = []
        while let block = try decoder.nextBlock() {
            samples += block
            blocks.append(block.count)
        }
        return (samples, blocks, decoder)
    }

    /// Split and sequential decodes of `path` agree exactly; the split one's outcome.
    static func expectSameAsSequential(_ path: String, split: MP3Split = split) throws -> MP3SplitOutcome {
        let parallel = try decode(path, split: split)
        let sequential = try decode(path, split: .off)
        #expect(sequential.decoder.mp3SplitOutcome == .sequential)
        #expect(parallel.samples.count == sequential.samples.count)
        let differing = zip(parallel.samples, sequential.samples).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(differing) samples differ; largest difference \(maximumDifference(parallel.samples, sequential.samples))")
        #expect(parallel.blocks == sequential.blocks)
        #expect(parallel.decoder.warnings == sequential.decoder.warnings)
        return parallel.decoder.mp3SplitOutcome
    }

    struct Encoding: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [String]
        let codec: [String]
        var testDescription: String { name }
    }

    static let encodings: [Encoding] = [
        Encoding(name: "44.1 kHz CBR 128k", input: music(seconds: 40), codec: ["-b:a", "128k"]),
        Encoding(name: "44.1 kHz VBR", input: music(seconds: 40), codec: ["-q:a", "4"]),
        Encoding(name: "44.1 kHz mono 32k", input: music(seconds: 40, stereo: false), codec: ["-b:a", "32k"]),
        Encoding(name: "44.1 kHz 320k, no Xing frame", input: music(seconds: 40), codec: ["-b:a", "320k", "-write_xing", "0"]),
        // MPEG-2 (2:1 synthesis) and 2.5 (1:1): one granule a frame, 18 slots, small frames,
        // the reservoir reaching back over many of them.
        Encoding(name: "22.05 kHz 16k", input: music(seconds: 40, sampleRate: 22050), codec: ["-b:a", "16k"]),
        Encoding(name: "11.025 kHz 8k", input: music(seconds: 60, sampleRate: 11025), codec: ["-b:a", "8k"]),
    ]

    @Test(arguments: encodings)
    func matchesTheSequentialDecoderBitForBit(encoding: Encoding) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("music.mp3")
        try ffmpeg(encoding.input + ["-c:a", "libmp3lame"] + encoding.codec + [path])
        let outcome = try Self.expectSameAsSequential(path)
        guard case .split = outcome else { Issue.record("not split: \(outcome)"); return }
    }

    /// The later range's thread waits for the caller when it holds its limit of samples.
    @Test func waitsForTheCallerWhenItsBufferIsFull() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("music.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        var tight = Self.split
        tight.maximumBufferedSamples = 4096
        let outcome = try Self.expectSameAsSequential(path, split: tight)
        guard case .split = outcome else { Issue.record("not split: \(outcome)"); return }
    }

    /// Noise over the later range: its thread stops at the first damaged packet, and the
    /// caller's handle catches up and decodes on in order; the same samples and warning.
    @Test func aDamagedLaterRangeIsDecodedInOrderFromTheDamage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("damaged.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        try Self.overwrite(path, at: 0.8, with: 4096)
        let outcome = try Self.expectSameAsSequential(path)
        guard case .splitThenSequential(let start, _, let resumed) = outcome, resumed > start else {
            Issue.record("\(outcome)"); return
        }
        #expect(try Self.decode(path, split: .off).decoder.warnings.contains { $0.hasPrefix("skipped") })
    }

    /// Noise in the first range: at the seam the caller's handle is not where a sequential
    /// decoder's would be with one frame per packet, so it decodes the rest itself.
    @Test func aDamagedFirstRangeKeepsTheWholeFileInOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("damaged.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        try Self.overwrite(path, at: 0.2, with: 4096)
        let outcome = try Self.expectSameAsSequential(path)
        guard case .splitThenSequential(let start, _, let resumed) = outcome, resumed == start else {
            Issue.record("\(outcome)"); return
        }
    }

    @Test func aShortFileIsNotSplit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("short.mp3")
        try ffmpeg(Self.music(seconds: 8) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        #expect(try Self.expectSameAsSequential(path) == .sequential)
    }

    @Test func aFileLargerThanTheLimitIsNotSplit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("music.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        var small = Self.split
        small.maximumFileBytes = 100_000
        #expect(try Self.expectSameAsSequential(path, split: small) == .sequential)
    }

    /// libmpg123's N-to-M synthesis carries its resampling phase from the stream's start.
    @Test func aResampledRateIsNotSplit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("music.mp3")
        try ffmpeg(Self.music(seconds: 40, sampleRate: 48000) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        #expect(try Self.expectSameAsSequential(path) == .sequential)
    }

    /// A file cut short mid-frame: the last packet gives no frame either way, and the same warning.
    @Test func aTruncatedFileEndsAsInOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cut.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count * 3 / 4 + 101).write(to: URL(fileURLWithPath: path))
        let outcome = try Self.expectSameAsSequential(path)
        guard case .split = outcome else { Issue.record("not split: \(outcome)"); return }
    }

    /// Cancelled in the first range, and while waiting for the later one: the decoder throws,
    /// and letting go of it stops and joins the thread (the test would hang otherwise).
    @Test(arguments: [1, 4])
    func cancelsMidFile(afterBlocks blocks: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("music.mp3")
        try ffmpeg(Self.music(seconds: 40) + ["-c:a", "libmp3lame", "-b:a", "128k", path])
        let abort = AbortFlag()
        var decoder: AudioDecoder? = try AudioDecoder(path: path, sampleRate: Self.rate, shouldAbort: { abort.isRaised },
                                                      mp3: .libmpg123, mp3Split: Self.split)
        for _ in 0..<blocks { #expect(try decoder?.nextBlock() != nil) }
        guard case .split = decoder?.mp3SplitOutcome else { Issue.record("not split"); return }
        abort.raise()
        #expect(throws: DecodeError.cancelled(path: path)) { try decoder?.nextBlock() }
        decoder = nil
    }

    /// Replaces `count` bytes at `fraction` of the file with noise (4 KB spans 6 or 7 frames).
    static func overwrite(_ path: String, at fraction: Double, with count: Int) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let start = Int(Double(bytes.count) * fraction)
        bytes.replaceSubrange(start..<(start + count), with: TestBytes.pseudoRandom(count, seed: 5))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
