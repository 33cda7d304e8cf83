import CFFmpeg

/// Owns the opened decoder (AVCodecContext) for one stream.
final class CodecContext {
    private let context: UnsafeMutablePointer<AVCodecContext>

    /// What `receive` produced.
    enum Received {
        case frame
        /// The decoder has used up its input: send the next packet (EAGAIN).
        case needsInput
        /// Fully drained after `sendEndOfStream` (EOF).
        case endOfStream
    }

    init(decoding stream: StreamView) throws(FFmpegError) {
        guard let decoder = avcodec_find_decoder(stream.parameters.pointee.codec_id) else {
            throw FFmpegError(call: "avcodec_find_decoder", code: AVCode.decoderNotFound)
        }
        context = try allocated(avcodec_alloc_context3(decoder), "avcodec_alloc_context3")
        try check(avcodec_parameters_to_context(context, stream.parameters), "avcodec_parameters_to_context")
        // One thread per file: keyscan runs files in parallel instead.
        context.pointee.thread_count = 1
        // Lets the decoder apply the container's skip/discard side data (encoder delay, padding).
        context.pointee.pkt_timebase = stream.timeBase
        try check(avcodec_open2(context, decoder, nil), "avcodec_open2")
    }

    deinit {
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&owned)
    }

    /// The decoder's output format as known after opening; frames may still differ.
    var format: PCMFormat {
        PCMFormat(sampleRate: Int(context.pointee.sample_rate),
                  channels: Int(context.pointee.ch_layout.nb_channels),
                  sampleFormat: context.pointee.sample_fmt)
    }

    /// A failure here means the packet was dropped; the decoder itself is still usable.
    func send(_ packet: Packet) throws(FFmpegError) {
        try check(avcodec_send_packet(context, packet.pointer), "avcodec_send_packet")
    }

    /// Starts draining: `receive` returns the buffered frames, then `.endOfStream`.
    func sendEndOfStream() throws(FFmpegError) {
        try check(avcodec_send_packet(context, nil), "avcodec_send_packet")
    }

    /// EAGAIN and EOF are control flow here, not errors. A thrown error means the
    /// decoder dropped a packet it could not decode.
    func receive(into frame: Frame) throws(FFmpegError) -> Received {
        let code = avcodec_receive_frame(context, frame.pointer)
        switch code {
        case AVCode.tryAgain: return .needsInput
        case AVCode.endOfFile: return .endOfStream
        default:
            try check(code, "avcodec_receive_frame")
            return .frame
        }
    }
}
