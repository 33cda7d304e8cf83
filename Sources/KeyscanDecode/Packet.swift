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

    /// Drops the payload reference; the packet is ready for the next av_read_frame.
    func unref() { av_packet_unref(pointer) }
}
