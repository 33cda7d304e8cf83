import Glibc

/// Recognises Ogg Vorbis by its first bytes, never by the file's name: the file opens with
/// an Ogg page that begins a logical stream (the BOS flag) and whose first packet is a
/// complete, 30-byte Vorbis identification header ("\x01vorbis", version 0).
///
/// It gates `AudioDecoder`'s libvorbisfile fallback, which exists for one failure of FFmpeg
/// 5.1's Ogg demuxer found in real files: a Vorbis stream that repeats its whole header
/// set (identification, comment, setup) before the first audio packet. Some old tag editors
/// wrote files so: the new comment header and a copy of the other two pages in front of
/// the original ones, in the same logical stream, e.g. the libVorbis 1.3 (2010) track that
/// Tests/KeyscanDecodeTests/Fixtures/ogg holds. libavformat/oggparsevorbis.c's
/// vorbis_header() takes the first set; at the first setup header it builds the codec's
/// extradata and its Vorbis parser, and frees the three packets it kept. The repeated
/// identification and comment headers are then accepted again, but the repeated setup
/// header finds the parser already made and returns AVERROR_INVALIDDATA, which ogg.c
/// reports as "Header processing failed" and avformat_open_input returns. (Repeating only
/// the identification or comment header is accepted; a lone repeated setup header ends the
/// header phase and reaches the decoder as one bad audio packet, which keyscan skips with a
/// warning. Both checked with FFmpeg 5.1.) libvorbisfile hands every packet to
/// vorbis_synthesis, which refuses header packets as not audio, so it skips the copies.
///
/// Hence the gate is narrow: only a file whose content is Ogg Vorbis, and only after FFmpeg
/// failed to open or decode it; never Opus, FLAC or Speex in Ogg, Vorbis in Matroska, or a
/// stream multiplexed behind another (FFmpeg reads those, libvorbisfile is no second opinion).
enum OggVorbisSniffer {
    /// An Ogg page header is 27 bytes and a lacing table of up to 255; the identification
    /// header is 30 bytes.
    static let bytesNeeded = 27 + 255 + 30

    /// Whether `path`'s first page starts an Ogg Vorbis stream. False if it cannot be read.
    static func isOggVorbis(path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: bytesNeeded)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return isOggVorbis(bytes.prefix(filled))
    }

    static func isOggVorbis(_ bytes: ArraySlice<UInt8>) -> Bool {
        let b = Array(bytes)
        // Capture pattern, stream structure version 0, the beginning-of-stream flag, and at
        // least one lacing value.
        guard b.count >= 28, b[0..<4].elementsEqual("OggS".utf8), b[4] == 0, b[5] & 0x02 != 0 else { return false }
        let segments = Int(b[26])
        // The first packet is exactly one 30-byte segment: the identification header's size.
        guard segments >= 1, b[27] == 30 else { return false }
        let packet = 27 + segments
        guard b.count >= packet + 30 else { return false }
        let header = b[packet..<(packet + 30)]
        let version = header.dropFirst(7).prefix(4)
        return header.prefix(7).elementsEqual([0x01] + Array("vorbis".utf8)) && version.allSatisfy { $0 == 0 }
    }
}
