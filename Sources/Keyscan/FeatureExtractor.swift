import Foundation
import KeyscanCQT
import KeyscanDecode

/// Decode → constant-Q transform: the model's input for one file.
///
/// `analyze` and `keyscan features` both come through here, so a model is trained on
/// exactly what it is later shown. Immutable, shared by all threads.
public final class FeatureExtractor: Sendable {
    /// Shorter audio is reported as `too_short`: KeyNet needs 8 frames after the 2
    /// dropped ones (1.8 s at 5 frames/s), and a key from less than 2 s means little.
    public static let minimumDuration = 2.0
    /// A track whose loudest sample stays below this (−100 dBFS) is silent: `analyze`
    /// reports it as `no_key` (reason `silent`), `features` as an error.
    public static let silenceThreshold: Float = 1e-5
    /// openkeyscan drops the transform's last two frames, mostly centre padding.
    static let droppedFrames = 2

    let kernels: CQTKernels
    /// Which library decodes Ogg Vorbis (tests force libvorbisfile).
    public let oggVorbis: OggVorbisDecoding
    /// Decoding and transform: librosa's exact numbers, or the fast path.
    public let frontEnd: FrontEnd

    /// Builds the transform's kernels (once per process).
    public init(frontEnd: FrontEnd = .fast, oggVorbis: OggVorbisDecoding = .ffmpegThenLibvorbisfile) throws(CQTConfigurationError) {
        kernels = try CQTKernels(configuration: frontEnd.configuration)
        self.frontEnd = frontEnd
        self.oggVorbis = oggVorbis
    }

    /// The spectrogram the model sees for `path`: decoded, transformed, the last two frames
    /// dropped, checked for length and silence, within `limits`. Training features come
    /// from here too, so the model is trained on exactly what it is later shown.
    /// `threads` > 1 lets an MP3 decode on that many threads (`MP3Split`): the same numbers.
    public func modelInput(path: String, limits: AnalysisLimits = .default, threads: Int = 1) throws(AnalysisError) -> Spectrogram {
        var timer = StageTimer(path: path, enabled: false)
        var audio = DecodedAudio()
        let deadline = Deadline(limits: limits, sampleRate: kernels.configuration.sampleRate, isCancelled: nil)
        let spectrogram = try modelInput(path: path, deadline: deadline, timer: &timer, audio: &audio, threads: threads)
        guard !audio.isSilent else { throw .silent(path: path) }
        return spectrogram
    }

    /// What decoding found besides the samples.
    struct DecodedAudio {
        var seconds = 0.0
        var warnings: [String] = []
        /// The largest sample magnitude.
        var peak: Float = 0

        var isSilent: Bool { peak < FeatureExtractor.silenceThreshold }
    }

    /// The whole spectrogram of `path`, for `features`: decoded and transformed within
    /// `deadline`, the last two frames dropped, checked for length.
    func modelInput(path: String, deadline: Deadline, timer: inout StageTimer,
                    audio: inout DecodedAudio, threads: Int = 1) throws(AnalysisError) -> Spectrogram {
        let transform = try decode(path: path, deadline: deadline, timer: &timer, audio: &audio, threads: threads,
                                   afterBlock: { _ in })
        let spectrogram = timer.measure(.transform) { transform.finish(droppingLastFrames: Self.droppedFrames) }
        // Add the workers' thread time: the wall time above was mostly spent handing
        // chunks over, while the products ran on other threads beside decoding.
        timer.add(transform.transformSeconds, to: .transform)
        try check(path: path, audio: audio, deadline: deadline)
        return spectrogram
    }

    /// Streams the model input of `path` to `consume` as the transform computes it, frame-major
    /// (frames, bins), every frame in order including the two the model never sees (the
    /// consumer drops them): nothing holds the whole spectrogram, so memory does not grow
    /// with the track. Checks the length once every frame is out.
    func streamModelInput(path: String, deadline: Deadline, timer: inout StageTimer, audio: inout DecodedAudio,
                          threads: Int = 1, consume: ([Float]) -> Void) throws(AnalysisError) {
        let transform = try decode(path: path, deadline: deadline, timer: &timer, audio: &audio, threads: threads) { transform in
            consume(transform.takeComputedFrames())
        }
        let rest = timer.measure(.transform) { transform.finishTakingFrames().frames }
        timer.add(transform.transformSeconds, to: .transform)
        consume(rest)
        try check(path: path, audio: audio, deadline: deadline)
    }

    private func check(path: String, audio: DecodedAudio, deadline: Deadline) throws(AnalysisError) {
        try deadline.check(path: path)
        guard audio.seconds >= Self.minimumDuration else { throw .tooShort(path: path, seconds: audio.seconds) }
    }

    /// Decodes `path` into a transform, calling `afterBlock` after each block; stops as soon
    /// as `deadline` says so: FFmpeg's interrupt callback (or libvorbisfile's read callback)
    /// asks it during blocking reads, the decode loop between frames. Fills in `audio`; the caller finishes the transform.
    /// `threads`: what the caller's share of the machine is (`MP3Split`); the samples are the same.
    private func decode(path: String, deadline: Deadline, timer: inout StageTimer, audio: inout DecodedAudio,
                        threads: Int, afterBlock: (ConstantQTransform) -> Void) throws(AnalysisError) -> ConstantQTransform {
        do throws(DecodeError) {
            let decoder = try timer.measure(.open) { () throws(DecodeError) in
                try AudioDecoder(path: path, sampleRate: kernels.configuration.sampleRate,
                                 shouldAbort: { deadline.stop() != nil }, oggVorbis: oggVorbis,
                                 mp3: frontEnd.mp3, mp3Split: MP3Split(threads: threads))
            }
            // Abandoned on a throw: its deinit waits for the chunks already handed to workers.
            let transform = ConstantQTransform(kernels: kernels)
            var peak: Float = 0
            while let block = try timer.measure(.decode, { () throws(DecodeError) in try decoder.nextBlock() }) {
                deadline.add(samples: block.count)
                timer.measure(.transform) {
                    block.withUnsafeBufferPointer { samples in
                        peak = max(peak, largestMagnitude(samples))
                        transform.append(samples)
                    }
                }
                afterBlock(transform)
            }
            audio.warnings = decoder.warnings
            audio.seconds = Double(transform.sampleCount) / Double(decoder.sampleRate)
            audio.peak = peak
            return transform
        } catch {
            // Interrupted, the decoder says only that it was asked to stop (or, from inside
            // probing, whatever FFmpeg made of the aborted read); the deadline knows why.
            if deadline.reason != nil { try deadline.check(path: path) }
            throw .decode(error)
        }
    }
}

extension Deadline {
    /// Throws `timeout` or `cancelled` if the file must stop.
    func check(path: String) throws(AnalysisError) {
        switch stop() {
        case nil: return
        case .cancelled: throw .cancelled(path: path)
        case .timeout:
            throw .timeout(path: path, elapsedSeconds: elapsedSeconds, audioSeconds: audioSeconds, limits: limits)
        }
    }
}

/// max |x| over `samples`, 16 lanes at a time: a scalar loop over every decoded sample cost
/// 4 ms of a 4-minute MP3's 0.3 s (perf). The samples are finite (`AudioDecoder` confines
/// them), so the order of the comparisons does not change the result.
private func largestMagnitude(_ samples: UnsafeBufferPointer<Float>) -> Float {
    guard let base = samples.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    // `pointwiseMax` is generic here and ran 10× slower than the scalar loop (Swift 6.3, -O).
    let zero = SIMD16<Float>(repeating: 0)
    var lanes = zero
    var i = 0
    while i + 16 <= samples.count {
        var v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
        v.replace(with: zero - v, where: v .< zero)
        lanes.replace(with: v, where: v .> lanes)
        i += 16
    }
    var peak = lanes.max()
    while i < samples.count { peak = max(peak, abs(samples[i])); i += 1 }
    return peak
}
