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
    private let outputRate: Int
    /// Output samples one `convert` call aims at, at most: the input is fed in pieces of
    /// about this much output, so the buffer stays small whatever the rate ratio.
    static let outputPerCall = 65_536
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
        self.outputRate = outputRate
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

    /// Appends the frame's samples from input sample `start` on, converted, to `block`:
    /// as many as give about `outputPerCall` samples (at least one input sample). Returns
    /// the input sample to continue from; the frame's `sampleCount` when it is all done.
    func convert(_ frame: Frame, from start: Int, into block: inout [Float]) throws(FFmpegError) -> Int {
        guard let planes = frame.planes else { return Int(frame.sampleCount) }
        return try convert(planes: planes, count: Int(frame.sampleCount), from: start, into: &block)
    }

    /// The same for PCM that is not in an AVFrame: `count` samples per channel in `planes`,
    /// laid out as `input.sampleFormat` says (libvorbisfile's planar floats).
    func convert(planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count total: Int, from start: Int,
                 into block: inout [Float]) throws(FFmpegError) -> Int {
        guard start < total else { return total }
        let perCall = max(1, Self.outputPerCall * input.sampleRate / outputRate)
        let count = min(total - start, perCall)
        if start == 0 && count == total {
            try run(input: planes, count: Int32(count), into: &block)
            return total
        }
        // Planar formats hold one plane per channel, packed ones one interleaved plane.
        let planar = av_sample_fmt_is_planar(input.sampleFormat) != 0
        let planeCount = planar ? input.channels : 1
        let stride = Int(av_get_bytes_per_sample(input.sampleFormat)) * (planar ? 1 : input.channels)
        let advanced = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: planeCount)
        defer { advanced.deallocate() }
        for plane in 0..<planeCount { advanced[plane] = planes[plane].map { $0 + start * stride } }
        try run(input: advanced, count: Int32(count), into: &block)
        return start + count
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
