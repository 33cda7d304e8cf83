import CFFmpeg

/// Owns the demuxer (AVFormatContext) of one file, opened read-only and probed.
final class FormatContext {
    private let context: UnsafeMutablePointer<AVFormatContext>
    /// Referenced by the context's interrupt callback, so it lives exactly as long.
    private let interrupt: Interrupt?

    init(path: String, interrupt: Interrupt?) throws(FFmpegError) {
        let fresh = try allocated(avformat_alloc_context(), "avformat_alloc_context")
        // Set before opening: probing a slow file is already interruptible.
        if let interrupt { fresh.pointee.interrupt_callback = interrupt.callback }
        var opened: UnsafeMutablePointer<AVFormatContext>? = fresh
        // On failure avformat_open_input frees the context and sets `opened` to NULL.
        try check(avformat_open_input(&opened, path, nil, nil), "avformat_open_input")
        context = try allocated(opened, "avformat_open_input")
        self.interrupt = interrupt
        // Fully initialised from here: a throw below still runs deinit.
        try check(avformat_find_stream_info(context, nil), "avformat_find_stream_info")
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&owned)
    }

    /// The demuxer's name as ffprobe reports it ("mp3", "mov,mp4,m4a,3gp,3g2,mj2").
    var name: String {
        guard let format = context.pointee.iformat, let name = format.pointee.name else { return "unknown" }
        return String(cString: name)
    }

    /// Whole-file duration in seconds, if the container states one.
    var duration: Double? {
        let microseconds = context.pointee.duration
        guard microseconds != keyscan_av_nopts_value(), microseconds > 0 else { return nil }
        return Double(microseconds) / Double(AV_TIME_BASE)
    }

    /// The file's size in bytes, if its I/O layer knows it (a regular file does).
    var byteSize: Int? {
        guard let io = context.pointee.pb else { return nil }
        let size = avio_size(io)
        return size > 0 ? Int(size) : nil
    }

    /// Whether `duration` was only guessed from the bitrate and the file's size (MP3
    /// without a Xing/Info header, raw AAC): such a guess shrinks with a truncated file,
    /// and is off for variable bitrates, so it says nothing about missing audio.
    var durationIsBitrateEstimate: Bool {
        av_fmt_ctx_get_duration_estimation_method(context) == AVFMT_DURATION_FROM_BITRATE
    }

    private var streams: UnsafeBufferPointer<UnsafeMutablePointer<AVStream>?> {
        guard let streams = context.pointee.streams else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: streams, count: Int(context.pointee.nb_streams))
    }

    /// Whether the file holds moving pictures (a video stream that is not cover art)
    /// from a container that is not a still-image format: a video without sound,
    /// as opposed to data that is not audio at all.
    var hasMovingPicture: Bool {
        // Still images are read by "image2" or an "<codec>_pipe" demuxer ("png_pipe").
        guard name != "image2", !name.hasSuffix("_pipe") else { return false }
        return streams.contains { stream in
            guard let stream, let parameters = stream.pointee.codecpar else { return false }
            return parameters.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                && stream.pointee.disposition & keyscan_av_disposition_attached_pic() == 0
        }
    }

    /// The stream av_find_best_stream rates best among the audio streams, or nil if
    /// there is none. Every other stream is set to AVDISCARD_ALL so the demuxer drops
    /// its packets (video is never decoded).
    func selectBestAudioStream() -> StreamView? {
        let index = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        guard index >= 0 else { return nil }
        var selected: StreamView?
        for (i, stream) in streams.enumerated() {
            guard let stream else { continue }
            if i == Int(index), let parameters = stream.pointee.codecpar {
                stream.pointee.discard = AVDISCARD_DEFAULT
                selected = StreamView(index: index, parameters: parameters, timeBase: stream.pointee.time_base,
                                      durationTicks: stream.pointee.duration)
            } else {
                stream.pointee.discard = AVDISCARD_ALL
            }
        }
        return selected
    }

    /// Reads the next packet into `packet`; false at the end of the file.
    func read(into packet: Packet) throws(FFmpegError) -> Bool {
        let code = av_read_frame(context, packet.pointer)
        if code == AVCode.endOfFile { return false }
        try check(code, "av_read_frame")
        return true
    }
}

/// Borrowed view of one stream inside a `FormatContext`: valid only while that
/// context lives, and never freed through this view.
struct StreamView {
    let index: Int32
    let parameters: UnsafeMutablePointer<AVCodecParameters>
    let timeBase: AVRational
    /// In `timeBase` units; AV_NOPTS_VALUE when unknown.
    let durationTicks: Int64

    /// FFmpeg's short codec name ("mp3", "aac", "pcm_s16le"), or the container's
    /// codec tag when FFmpeg does not know the codec at all.
    var codecName: String {
        let id = parameters.pointee.codec_id
        guard id != AV_CODEC_ID_NONE else { return "unknown, tag 0x" + String(parameters.pointee.codec_tag, radix: 16) }
        return String(cString: avcodec_get_name(id))
    }

    /// Whether the stream is MPEG audio layer III, whatever the container.
    var isMP3: Bool { parameters.pointee.codec_id == AV_CODEC_ID_MP3 }

    /// The rate the container or the first frame header states, in Hz.
    var sampleRate: Int { Int(parameters.pointee.sample_rate) }

    var channels: Int { Int(parameters.pointee.ch_layout.nb_channels) }

    /// The stream's own duration in seconds, if the container states one.
    var duration: Double? {
        guard durationTicks != keyscan_av_nopts_value(), durationTicks > 0, timeBase.den != 0 else { return nil }
        return Double(durationTicks) * Double(timeBase.num) / Double(timeBase.den)
    }
}

/// Boxes the caller's `shouldAbort` so FFmpeg's C interrupt callback can reach it
/// through the callback's opaque pointer.
final class Interrupt {
    let shouldAbort: @Sendable () -> Bool

    init(_ shouldAbort: @escaping @Sendable () -> Bool) { self.shouldAbort = shouldAbort }

    /// Unretained: the `FormatContext` holding the callback also holds this box.
    var callback: AVIOInterruptCB {
        AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<Interrupt>.fromOpaque(opaque).takeUnretainedValue().shouldAbort() ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(self).toOpaque())
    }
}
