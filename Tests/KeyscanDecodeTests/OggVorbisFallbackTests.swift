import Foundation
import KeyscanTestSupport
import Testing
import KeyscanDecode

/// An Ogg Vorbis file FFmpeg encodes: `tones` is one aevalsrc expression per channel.
struct VorbisCase: Sendable, CustomTestStringConvertible {
    let name: String
    let rate: Int
    let tones: [String]

    var testDescription: String { "\(name): \(tones.count) ch, \(rate) Hz" }

    static let all = [
        VorbisCase(name: "mono", rate: 44100, tones: ["0.3*sin(2*PI*440*t)+0.2*sin(2*PI*659.25*t)"]),
        VorbisCase(name: "stereo-48k", rate: 48000, tones: ["0.4*sin(2*PI*261.63*t)", "0.4*sin(2*PI*392*t)"]),
        VorbisCase(name: "5.1", rate: 44100, tones: (0..<6).map { "0.2*sin(2*PI*\(220 * ($0 + 1))*t)" }),
        VorbisCase(name: "mono-22k", rate: 22050, tones: ["0.5*sin(2*PI*330*t)"]),
    ]

    /// Writes `seconds` of it to `path`.
    func encode(_ path: String, seconds: Double = 3) throws {
        let expression = tones.joined(separator: "|")
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=\(expression):s=\(rate):d=\(seconds)", "-c:a", "libvorbis", "-q:a", "5", path])
    }
}

/// The libvorbisfile fallback: the same block stream as FFmpeg's path, taken only for Ogg
/// Vorbis that FFmpeg cannot read, and a clean failure when neither can.
@Suite struct OggVorbisFallbackTests {
    static let fixture = Bundle.module.path(forResource: "ogg-ffmpeg51-rejects", ofType: "ogg", inDirectory: "Fixtures/ogg")
    static let forcedWarning = "decoded with libvorbisfile, forced for testing"
    static let demuxerWarning = "decoded with libvorbisfile: FFmpeg's Ogg demuxer failed "
        + "(avformat_open_input: Invalid data found when processing input)"

    /// FFmpeg's native Vorbis decoder and libvorbis compute the same inverse MDCT in a
    /// different order, in float; after the same downmix and resampler the largest sample
    /// difference measured (2026-11-30, this suite) was 4.5·10⁻⁸ (5.1), 2.1·10⁻⁷ (mono and
    /// 48 kHz stereo), 4.2·10⁻⁷ (22.05 kHz mono) and 2.4·10⁻⁷ on the real fixture: a few
    /// float roundings. 10⁻⁶ leaves room for another CPU's rounding and is 120 dB below
    /// full scale.
    static let tolerance: Float = 1e-6

    @Test(arguments: VorbisCase.all)
    func forcedFallbackMatchesFFmpeg(_ vorbis: VorbisCase) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("\(vorbis.name).ogg")
        try vorbis.encode(path)

        let (expected, ffmpegDecoder) = try decodeAll(path)
        let (samples, decoder) = try decodeAll(path, oggVorbis: .libvorbisfile)

        #expect(ffmpegDecoder.source.library == .ffmpeg && ffmpegDecoder.warnings.isEmpty)
        #expect(decoder.source.library == .libvorbisfile)
        #expect(decoder.source.sampleRate == vorbis.rate && decoder.source.channels == vorbis.tones.count)
        #expect(decoder.warnings == [Self.forcedWarning])
        // Both trim the encoder's delay and padding from the granule positions: same length.
        expectSameSamples(samples, expected)
    }

    /// What FFmpeg 5.1 refuses (see OggVorbisSniffer): the whole header set again before the
    /// first audio packet. Built from a file FFmpeg reads, so both paths can be compared.
    @Test func repeatedHeaderSetIsDecodedByLibvorbisfile() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("original.ogg")
        try VorbisCase.all[1].encode(original)
        let repeated = directory.path("repeated.ogg")
        try rewrite(original, to: repeated) { headers, audio in
            [page(headers[0], bos: true), page(headers[1], headers[2]), page(headers[0], headers[1], headers[2])] + audio
        }

        let (samples, decoder) = try decodeAll(repeated)
        #expect(decoder.source.library == .libvorbisfile)
        #expect(decoder.warnings == [Self.demuxerWarning])
        // libvorbisfile skips the copies: the same samples as from the original.
        #expect(samples == (try decodeAll(original, oggVorbis: .libvorbisfile)).samples)
        expectSameSamples(samples, try decodeAll(original).samples)
    }

    /// The comment's claims, which keep the fallback narrow: FFmpeg 5.1 reads a repeated
    /// identification or comment header alone, and takes a lone repeated setup header for a
    /// bad audio packet, which it skips.
    @Test func ffmpegReadsOtherRepeatedHeaders() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("original.ogg")
        try VorbisCase.all[0].encode(original)
        let variants: [(String, (_ headers: [[UInt8]]) -> [OggPage])] = [
            ("identification", { [page($0[0], bos: true), page($0[1], $0[2]), page($0[0])] }),
            ("comment", { [page($0[0], bos: true), page($0[1], $0[2]), page($0[1])] }),
            ("identification and comment", { [page($0[0], bos: true), page($0[1], $0[2]), page($0[0], $0[1])] }),
            ("setup", { [page($0[0], bos: true), page($0[1], $0[2]), page($0[2])] }),
        ]
        for (name, headerPages) in variants {
            let path = directory.path("\(name).ogg")
            try rewrite(original, to: path) { headers, audio in headerPages(headers) + audio }
            let decoder = try decodeAll(path).decoder
            #expect(decoder.source.library == .ffmpeg, "\(name)")
            let expected = name == "setup" ? ["skipped 1 corrupt packet of"] : []
            #expect(decoder.warnings.map { String($0.prefix(27)) } == expected, "\(name): \(decoder.warnings)")
        }
    }

    /// The real file: FFmpeg refuses it, libvorbisfile reads all 14.38 s. With the repeated
    /// set cut out, FFmpeg reads it and gives the same samples, 634,176 per channel. (sox
    /// gives 104 fewer: its first audio page's granule position is −104, which asks for
    /// that many samples to be dropped at the start; libvorbisfile opened seekable, as sox
    /// opens it, drops them, while FFmpeg and libvorbisfile read as a stream do not. 2.4 ms
    /// of audio, and keyscan's two paths agree.)
    @Test func fixtureFFmpegRefusesDecodesWithAWarning() throws {
        let path = try #require(Self.fixture)
        let (samples, decoder) = try decodeAll(path)

        #expect(decoder.source == AudioSourceInfo(container: "ogg", codec: "vorbis", sampleRate: 44100, channels: 2,
                                                  duration: nil, library: .libvorbisfile))
        #expect(decoder.warnings == [Self.demuxerWarning])
        #expect(samples.count == 634_176)

        let directory = try TemporaryDirectory()
        let repaired = directory.path("repaired.ogg")
        try removeRepeatedHeaders(path, to: repaired)
        let (ffmpeg, ffmpegDecoder) = try decodeAll(repaired)
        #expect(ffmpegDecoder.source.library == .ffmpeg && ffmpegDecoder.warnings.isEmpty)
        expectSameSamples(samples, ffmpeg)
    }

    /// A damaged setup header: FFmpeg's demuxer and libvorbisfile both refuse the file, which
    /// is audio that no decoder reads (`decode_failed`), not "not audio".
    @Test func damagedSetupHeaderFailsThroughBothDecoders() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("original.ogg")
        try VorbisCase.all[0].encode(original)
        let path = directory.path("damaged.ogg")
        try rewrite(original, to: path) { headers, audio in
            var setup = headers[2]
            // Keep "\x05vorbis" and the codebook count; garble the codebooks. The page's CRC
            // is right, so both read the page and fail on its content.
            let noise = TestBytes.pseudoRandom(setup.count, seed: 3)
            for i in 12..<setup.count { setup[i] = noise[i] }
            return [page(headers[0], bos: true), page(headers[1], setup)] + audio
        }
        try expectBothFail(path)
    }

    /// Only the first page (the identification header), then random bytes: the sniffer says
    /// Ogg Vorbis, neither decoder finds the rest of the headers.
    @Test func identificationHeaderThenNoiseFailsThroughBothDecoders() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("original.ogg")
        try VorbisCase.all[0].encode(original)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: original)))
        let pages = try #require(OggPage.parse(bytes))
        let path = directory.path("noise.ogg")
        try Data(OggPage.write([pages[0]]) + TestBytes.pseudoRandom(20_000, seed: 5)).write(to: URL(fileURLWithPath: path))
        try expectBothFail(path)

        let alone = directory.path("first-page.ogg")
        try Data(OggPage.write([pages[0]])).write(to: URL(fileURLWithPath: alone))
        try expectBothFail(alone)
    }

    /// Cut at 40 % of its bytes (mid-page): both decoders give what is there, the same
    /// length within a Vorbis block. (About 1 s: the headers take a good part of a small file.)
    @Test func truncatedFileDecodesWhatIsThereThroughBoth() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cut.ogg")
        try VorbisCase.all[1].encode(path, seconds: 5)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count * 4 / 10).write(to: URL(fileURLWithPath: path))

        let ffmpeg = try decodeAll(path).samples
        let (samples, decoder) = try decodeAll(path, oggVorbis: .libvorbisfile)

        #expect(decoder.warnings == [Self.forcedWarning])
        #expect(samples.count > 44100 / 2)
        #expect(abs(samples.count - ffmpeg.count) <= 2048, "\(samples.count) vs \(ffmpeg.count)")
    }

    /// 1 KB of noise in the middle: libvorbisfile skips the damaged pages (their CRC fails)
    /// and says so; the rest decodes, about as much as FFmpeg decodes. (A sine compresses to
    /// 3 KB/s, so 1 KB costs some 2 s of 6: the pages it touched.)
    @Test func corruptMiddleIsSkippedWithAWarning() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("corrupt.ogg")
        try VorbisCase.all[0].encode(path, seconds: 6)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.replaceSubrange(bytes.count / 2..<(bytes.count / 2 + 1024), with: TestBytes.pseudoRandom(1024, seed: 9))
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let ffmpeg = try decodeAll(path).samples
        let (samples, decoder) = try decodeAll(path, oggVorbis: .libvorbisfile)

        #expect(decoder.warnings.count == 2, "\(decoder.warnings)")
        #expect(decoder.warnings.last?.hasPrefix("skipped 1 gap in the Ogg stream") == true, "\(decoder.warnings)")
        #expect(Double(samples.count) / 44100 > 3)
        #expect(abs(samples.count - ffmpeg.count) <= 8192, "\(samples.count) vs \(ffmpeg.count)")
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 440) < 30, "still the tones")
    }

    /// Two chained links, 44.1 kHz mono then 48 kHz stereo: the resampler is rebuilt between
    /// them, and the boundary is no gap (libvorbisfile reports one there).
    @Test func chainedLinksDecodeWithoutAGapWarning() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path("first.ogg"), second = directory.path("second.ogg")
        try ffmpeg(sineInput(seconds: 2) + ["-c:a", "libvorbis", first])
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t):s=48000:d=2",
                    "-c:a", "libvorbis", second])
        let path = directory.path("chained.ogg")
        try Data(try Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second)))
            .write(to: URL(fileURLWithPath: path))

        let (samples, decoder) = try decodeAll(path, oggVorbis: .libvorbisfile)

        #expect(decoder.warnings == [Self.forcedWarning])
        #expect(abs(samples.count - 4 * 44100) <= 64, "\(samples.count)")
        #expect(abs(zeroCrossingFrequency(Array(samples[(2 * 44100)...]), sampleRate: 44100) - 440) < 0.1)
        #expect(abs(sineAmplitude(Array(samples[(2 * 44100)...])) - 0.5) < 0.01, "the 48 kHz stereo link, resampled")
    }

    /// A Vorbis header's rate is 32 bits unsigned and libvorbis takes any: rates beyond a C
    /// int, and below 1 kHz, fail the file before the resampler sees them.
    @Test func outOfRangeRatesFailCleanly() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path("original.ogg")
        try VorbisCase.all[0].encode(original, seconds: 1)
        for rate: UInt32 in [0xFFFF_FFF0, 0x8000_0000, 500] {
            let path = directory.path("\(rate).ogg")
            try rewrite(original, to: path) { headers, audio in
                var id = headers[0]
                for k in 0..<4 { id[12 + k] = UInt8(truncatingIfNeeded: rate >> (8 * UInt32(k))) }
                return [page(id, bos: true), page(headers[1], headers[2])] + audio
            }
            do {
                _ = try decodeAll(path, oggVorbis: .libvorbisfile)
                Issue.record("decoded at \(rate) Hz")
            } catch {
                guard case .decodeFailed(_, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.hasPrefix("sample rate \(rate) Hz"), "\(reason)")
            }
        }
    }

    @Test func cancelsWhenAsked() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone.ogg")
        try VorbisCase.all[0].encode(path, seconds: 5)
        let abort = AbortFlag()

        let decoder = try AudioDecoder(path: path, shouldAbort: { abort.isRaised }, oggVorbis: .libvorbisfile)
        #expect(try decoder.nextBlock() != nil)
        abort.raise()

        #expect(throws: DecodeError.cancelled(path: path)) { try decoder.nextBlock() }
        #expect(throws: DecodeError.cancelled(path: path)) {
            try AudioDecoder(path: path, shouldAbort: { true }, oggVorbis: .libvorbisfile)
        }
    }

    /// Only Ogg Vorbis goes to libvorbisfile, by content: Opus in Ogg and Vorbis in Matroska
    /// stay with FFmpeg even when libvorbisfile is forced, and so does an MP3 named .ogg.
    @Test func onlyOggVorbisContentIsSniffed() throws {
        let directory = try TemporaryDirectory()
        let files = [("opus.ogg", ["-c:a", "libopus"]), ("vorbis.mka", ["-c:a", "libvorbis"]),
                     ("mp3.ogg", ["-c:a", "libmp3lame", "-f", "mp3"])]
        for (name, arguments) in files {
            let path = directory.path(name)
            try ffmpeg(sineInput(seconds: 1) + arguments + [path])
            let decoder = try decodeAll(path, oggVorbis: .libvorbisfile).decoder
            #expect(decoder.source.library == .ffmpeg, "\(name)")
            #expect(decoder.warnings.isEmpty, "\(name): \(decoder.warnings)")
        }
    }

    /// Expects the two decodes to have the same length and to differ by at most `tolerance`.
    private func expectSameSamples(_ samples: [Float], _ expected: [Float],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(samples.count == expected.count, sourceLocation: sourceLocation)
        guard samples.count == expected.count else { return }
        let difference = maximumDifference(samples, expected)
        #expect(difference <= Self.tolerance, "largest difference \(difference)", sourceLocation: sourceLocation)
    }

    /// Expects `decodeFailed` from both decoders, each naming its call.
    private func expectBothFail(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        do {
            let samples = try decodeAll(path).samples
            Issue.record("decoded \(samples.count) samples", sourceLocation: sourceLocation)
        } catch {
            guard case .decodeFailed(let failed, let reason) = error else {
                Issue.record("\(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(failed == path, sourceLocation: sourceLocation)
            #expect(reason.hasPrefix("FFmpeg: avformat_open_input: ") || reason.hasPrefix("FFmpeg: avformat_find_stream_info: "),
                    "\(reason)", sourceLocation: sourceLocation)
            #expect(reason.contains("; libvorbisfile: ov_"), "\(reason)", sourceLocation: sourceLocation)
            #expect(error.code == "decode_failed", sourceLocation: sourceLocation)
        }
    }
}

/// A page holding `packets`, with no granule position (header pages have 0).
private func page(_ packets: [UInt8]..., bos: Bool = false) -> OggPage {
    OggPage(headerType: bos ? 0x02 : 0, granule: 0, serial: 0x5EED, packets: packets)
}

/// Rewrites an Ogg Vorbis file FFmpeg wrote: `build` gets its three header packets and its
/// audio pages and returns the new file's pages.
private func rewrite(_ source: String, to destination: String,
                     _ build: (_ headers: [[UInt8]], _ audio: [OggPage]) -> [OggPage]) throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
    let pages = try #require(OggPage.parse(bytes), "pages whose packets end on them")
    let headers = Array(pages.flatMap(\.packets).prefix(3))
    try #require(headers.allSatisfy(OggPage.isVorbisHeader))
    // libvorbis starts the audio on a fresh page after the setup header.
    let audio = pages.drop { $0.packets.contains(where: OggPage.isVorbisHeader) }.map {
        var page = $0
        page.serial = 0x5EED
        return page
    }
    try Data(OggPage.write(build(headers, audio))).write(to: URL(fileURLWithPath: destination))
}

/// Drops every Vorbis header packet after the first three: what FFmpeg needs to read the
/// fixture.
func removeRepeatedHeaders(_ source: String, to destination: String) throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
    var pages = try #require(OggPage.parse(bytes), "pages whose packets end on them")
    var headers = 0
    for i in pages.indices {
        pages[i].packets = pages[i].packets.filter { packet in
            guard OggPage.isVorbisHeader(packet) else { return true }
            headers += 1
            return headers <= 3
        }
    }
    try Data(OggPage.write(pages.filter { !$0.packets.isEmpty })).write(to: URL(fileURLWithPath: destination))
}
