import CFFmpeg

/// Owns a SwrContext that turns decoded PCM of one `PCMFormat` into mono Float32 at
/// the output rate, the way `librosa.load(sr=44100, mono=True)` does:
/// - mono is the arithmetic mean of all channels (librosa.to_mono): a 1/n matrix,
///   not FFmpeg's default downmix (0.707·(L+R) for stereo, LFE dropped);
/// - the rate is converted by libsoxr at 20-bit precision, libsoxr's HQ recipe, which
///   is what librosa's default `res_type="soxr_hq"` uses.
final class Resampler {
    private let context: OpaquePointer
    let input: PCMFormat
    /// Reused output: `capacity` mono Float32 samples, grown only when a frame needs more.
    private var output: UnsafeMutablePointer<Float>
    private var capacity: Int

    init(from input: PCMFormat, toRate outputRate: Int) throws(FFmpegError) {
        var inLayout = AVChannelLayout()
        var outLayout = AVChannelLayout()
        // Only the channel count matters: the matrix below weighs every channel alike.
        av_channel_layout_default(&inLayout, Int32(input.channels))
        av_channel_layout_default(&outLayout, 1)
        defer {
            av_channel_layout_uninit(&inLayout)
            av_channel_layout_uninit(&outLayout)
        }
        var created: OpaquePointer?
        try check(swr_alloc_set_opts2(&created, &outLayout, AV_SAMPLE_FMT_FLT, Int32(outputRate),
                                      &inLayout, input.sampleFormat, Int32(input.sampleRate), 0, nil),
                  "swr_alloc_set_opts2")
        context = try allocated(created, "swr_alloc_set_opts2")
        self.input = input
        capacity = 4096
        output = .allocate(capacity: capacity)
        // Fully initialised from here: a throw below still runs deinit.

        // AVOptions address the context as an untyped object.
        let options = UnsafeMutableRawPointer(context)
        try check(av_opt_set(options, "resampler", "soxr", 0), "av_opt_set(resampler=soxr)")
        try check(av_opt_set_double(options, "precision", 20, 0), "av_opt_set(precision=20)")
        // Float throughout, as librosa computes in float32 whatever the file's sample format.
        try check(av_opt_set_sample_fmt(options, "internal_sample_fmt", AV_SAMPLE_FMT_FLTP, 0),
                  "av_opt_set(internal_sample_fmt=fltp)")
        let mean = [Double](repeating: 1 / Double(input.channels), count: input.channels)
        try check(swr_set_matrix(context, mean, Int32(input.channels)), "swr_set_matrix")
        try check(swr_init(context), "swr_init")
    }

    deinit {
        var owned: OpaquePointer? = context
        swr_free(&owned)
        output.deallocate()
    }

    /// Appends the frame's samples, converted, to `block`.
    func convert(_ frame: Frame, into block: inout [Float]) throws(FFmpegError) {
        try run(input: frame.planes, count: frame.sampleCount, into: &block)
    }

    /// Appends what the resampler still holds (its filter's tail) to `block`.
    func flush(into block: inout [Float]) throws(FFmpegError) {
        while try run(input: nil, count: 0, into: &block) > 0 {}
    }

    @discardableResult
    private func run(input planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int32,
                     into block: inout [Float]) throws(FFmpegError) -> Int {
        let bound = Int(swr_get_out_samples(context, count))
        if bound > capacity {
            output.deallocate()
            capacity = bound
            output = .allocate(capacity: capacity)
        }
        var out: UnsafeMutablePointer<UInt8>? = UnsafeMutableRawPointer(output).assumingMemoryBound(to: UInt8.self)
        let produced = Int(try check(swr_convert(context, &out, Int32(capacity), planes, count), "swr_convert"))
        block.append(contentsOf: UnsafeBufferPointer(start: output, count: produced))
        return produced
    }
}
