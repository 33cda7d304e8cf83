import CFFmpeg

/// Owns one AVPacket, reused for every packet of a file.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        pointer = try allocated(av_packet_alloc(), "av_packet_alloc")
    }

    deinit {
        var owned: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&owned)
    }

    var streamIndex: Int32 { pointer.pointee.stream_index }

    /// The payload, valid until `unref`.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer.pointee.data, count: Int(max(0, pointer.pointee.size)))
    }

    /// Samples (per channel, at the stream's rate) the decoder is to drop from the start of
    /// this packet's audio: AV_PKT_DATA_SKIP_SAMPLES, which FFmpeg's MP3 demuxer puts on the
    /// first packets for the encoder delay and the decoder's 529-sample delay.
    /// The last packet carries the samples to discard from the end of its audio (the
    /// encoder's padding, from the LAME header).
    var samplesToSkip: (start: Int, end: Int) {
        var size = 0
        // Its layout: u32le samples to skip at the start, u32le to discard at the end, 2 bytes of reasons.
        guard let data = av_packet_get_side_data(pointer, AV_PKT_DATA_SKIP_SAMPLES, &size), size >= 8 else { return (0, 0) }
        func u32(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24 }
        return (u32(0), u32(4))
    }

    /// Drops the payload reference; the packet is ready for the next av_read_frame.
    func unref() { av_packet_unref(pointer) }
}
