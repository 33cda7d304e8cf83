import CFFmpeg

/// Owns one AVFrame, reused for every decoded frame of a file
/// (avcodec_receive_frame unreferences its previous contents).
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(FFmpegError) {
        pointer = try allocated(av_frame_alloc(), "av_frame_alloc")
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&owned)
    }

    /// Samples per channel.
    var sampleCount: Int32 { pointer.pointee.nb_samples }

    /// What a resampler must be configured for to read this frame.
    var format: PCMFormat {
        PCMFormat(sampleRate: Int(pointer.pointee.sample_rate),
                  channels: Int(pointer.pointee.ch_layout.nb_channels),
                  sampleFormat: AVSampleFormat(rawValue: pointer.pointee.format))
    }

    /// One plane per channel for planar formats, a single interleaved plane otherwise,
    /// in the form swr_convert reads.
    var planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>? {
        guard let data = pointer.pointee.extended_data else { return nil }
        return UnsafeMutableRawPointer(data).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
    }
}

/// Layout of decoded PCM: rate, channel count and FFmpeg sample format.
struct PCMFormat: Equatable {
    let sampleRate: Int
    let channels: Int
    let sampleFormat: AVSampleFormat
}
