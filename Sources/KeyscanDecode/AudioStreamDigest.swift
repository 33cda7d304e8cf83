import CFFmpeg
import CVorbisFile

/// A fingerprint of the audio a file stores, taken by demuxing only (nothing is decoded):
/// SHA-256 over the codec, its setup data and the payload of every packet of the stream
/// `AudioDecoder` would decode, in order.
///
/// Ogg Vorbis that FFmpeg refuses is read with libogg instead, hashing the same fields.
///
/// Two files with the same digest hold the same coded audio however their tags differ, so
/// a tag writer compares the digests of a file before and after writing to prove it left
/// the audio alone. Packet boundaries and timestamps are not part of it (a raw PCM demuxer
/// may cut packets differently when the data moves in the file); the bytes are.
public struct AudioStreamDigest: Sendable, Equatable, CustomStringConvertible {
    /// FFmpeg's demuxer name, as ffprobe reports it: "mp3", "flac", "mov,mp4,m4a,3gp,3g2,mj2".
    public let container: String
    /// Packets of the audio stream.
    public let packets: Int
    /// Payload bytes in those packets.
    public let bytes: Int
    /// Lowercase hex SHA-256.
    public let sha256: String

    /// Reads every packet of `path`'s best audio stream.
    public init(path: String) throws(DecodeError) {
        FFmpegLog.silenced
        try checkReadableFile(path)
        let format: FormatContext
        do { format = try FormatContext(path: path, interrupt: nil) }
        catch {
            // Ogg Vorbis that FFmpeg refuses is what AudioDecoder decodes with libvorbisfile:
            // its packets are read with libogg instead.
            let failure = DecodeError(opening: path, error)
            guard failure.isDecodingFailure, OggVorbisSniffer.isOggVorbis(path: path) else { throw failure }
            self = try Self(oggVorbisAt: path)
            return
        }
        guard let stream = format.selectBestAudioStream() else {
            if format.hasMovingPicture { throw .noAudioStream(path: path) }
            throw .notAudio(path: path, reason: "read as \(format.name), which holds no audio")
        }
        do {
            let hash = try HashContext(algorithm: "SHA256")
            let parameters = stream.parameters.pointee
            hash.update(parameters.codec_id.rawValue)
            hash.update(parameters.sample_rate)
            hash.update(parameters.ch_layout.nb_channels)
            Self.hashSetup(stream, codec: parameters.codec_id, into: hash)

            let packet = try Packet()
            var packets = 0, bytes = 0
            while try format.read(into: packet) {
                defer { packet.unref() }
                guard packet.streamIndex == stream.index else { continue }
                let size = Int(packet.pointer.pointee.size)
                hash.update(UnsafeRawBufferPointer(start: packet.pointer.pointee.data, count: size))
                packets += 1
                bytes += size
            }
            container = format.name
            self.packets = packets
            self.bytes = bytes
            sha256 = hash.finalHex()
        } catch { throw DecodeError(decoding: path, error) }
    }

    /// The same digest from libogg for an Ogg Vorbis file FFmpeg cannot demux: the codec,
    /// rate and channels from the identification header, the identification and setup
    /// headers (not the comment header, the tag), and every audio packet of the Vorbis
    /// streams in order. Header packets a stream repeats (what FFmpeg 5.1 refuses) are
    /// skipped, as libvorbisfile skips them.
    init(oggVorbisAt path: String) throws(DecodeError) {
        let hash: HashContext
        do { hash = try HashContext(algorithm: "SHA256") } catch { throw DecodeError(decoding: path, error) }
        do throws(VorbisFileError) {
            let reader = try OggPacketReader(path: path)
            var headers: [[UInt8]] = []
            var packets = 0, bytes = 0
            try reader.forEachPacket { packet, _ throws(VorbisFileError) in
                // Vorbis header packets have an odd type byte; audio packets an even one.
                if let type = packet.first, type & 1 == 1 {
                    if headers.count < 3 { headers.append(Array(packet)) }
                    return
                }
                guard headers.count == 3, !packet.isEmpty else { return }
                if packets == 0 {
                    // What FFmpeg hashes first: codec, sample rate, channels, then the setup data.
                    let id = headers[0]
                    guard id.count >= 16 else { throw VorbisFileError(call: "ogg_stream_packetout", code: OV_EBADHEADER) }
                    hash.update(AV_CODEC_ID_VORBIS.rawValue)
                    hash.update(Int32(id[12]) | Int32(id[13]) << 8 | Int32(id[14]) << 16 | Int32(id[15]) << 24)
                    hash.update(Int32(id[11]))
                    id.withUnsafeBytes { hash.update($0) }
                    headers[2].withUnsafeBytes { hash.update($0) }
                }
                hash.update(packet)
                packets += 1
                bytes += packet.count
            }
            guard packets > 0 else { throw VorbisFileError(call: "ogg_stream_packetout", code: OV_ENOTVORBIS) }
            container = "ogg"
            self.packets = packets
            self.bytes = bytes
            sha256 = hash.finalHex()
        } catch {
            throw DecodeError(vorbisFile: path, error)
        }
    }

    public var description: String { "\(container): \(packets) packets, \(bytes) bytes, sha256 \(sha256)" }

    /// The codec's setup data (extradata): AAC's AudioSpecificConfig, FLAC's STREAMINFO,
    /// OpusHead… Vorbis is the exception: FFmpeg keeps all three Vorbis header packets there,
    /// and the second is the comment header, the tag itself; only the first (identification)
    /// and third (codebooks) are audio.
    private static func hashSetup(_ stream: StreamView, codec: AVCodecID, into hash: HashContext) {
        let parameters = stream.parameters.pointee
        guard let data = parameters.extradata, parameters.extradata_size > 0 else { return }
        let extradata = UnsafeRawBufferPointer(start: data, count: Int(parameters.extradata_size))
        if codec == AV_CODEC_ID_VORBIS, let headers = xiphLaced(extradata), headers.count == 3 {
            hash.update(headers[0])
            hash.update(headers[2])
        } else {
            hash.update(extradata)
        }
    }

    /// Splits FFmpeg's Xiph-laced extradata: a count byte (packets − 1), the sizes of all but
    /// the last packet as runs of 255 ended by a smaller byte, then the packets. Nil if the
    /// sizes do not fit the data.
    static func xiphLaced(_ data: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer]? {
        guard let first = data.first else { return nil }
        let count = Int(first) + 1
        var offset = 1
        var sizes: [Int] = []
        for _ in 0..<(count - 1) {
            var size = 0
            while true {
                guard offset < data.count else { return nil }
                let byte = Int(data[offset])
                offset += 1
                size += byte
                if byte < 255 { break }
            }
            sizes.append(size)
        }
        let laced = sizes.reduce(0, +)
        guard offset + laced <= data.count else { return nil }
        sizes.append(data.count - offset - laced)
        var packets: [UnsafeRawBufferPointer] = []
        for size in sizes {
            packets.append(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + size)]))
            offset += size
        }
        return packets
    }
}
