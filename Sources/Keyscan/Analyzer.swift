import Foundation
import KeyscanCQT
import KeyscanDecode
import KeyscanModel
import KeyscanResults

/// The whole pipeline for one file: decode → constant-Q transform → KeyNet → key.
///
/// Holds what every file shares (the model and the transform's kernels); immutable and
/// safe to use from many threads, each with its own `Analyzer.Workspace`.
public final class Analyzer: Sendable {
    public let model: KeyNet
    public let modelPath: String
    public let features: FeatureExtractor
    /// How the network's key evidence over time becomes segments.
    public let timeline: KeyTimeline
    /// Names what results come from: this pipeline's version, the timeline's settings and
    /// a hash of the weights' bytes. A cached result is reused only under the same identity.
    public let identity: String

    /// Bump when a change to decoding, the transform or the report changes results, so
    /// caches analyze again. 2: Ogg Vorbis that FFmpeg refuses is decoded by libvorbisfile,
    /// where version 1 cached a `not_audio` error; results carry the key timeline and the tuning.
    /// 3: model 2.0.0 ships, learned from real recordings, with a calibrated confidence (the
    /// weights' hash in `identity` alone would already re-analyze). 4: the fast front end
    /// (11.025 kHz, MP3 through libmpg123) is the default for models that ask for it. 5: the
    /// fast transform computes its lower three octaves from a 5:1 soxr decimation (2205 Hz).
    /// 6: the fast path's MP3 frames are cut to the spectral lines below about 2 kHz before
    /// libmpg123 decodes them (`MP3BandLimiter`).
    public static let pipelineVersion = 6

    /// Loads the weights and builds the transform's kernels.
    ///
    /// - Parameters:
    ///   - timelineResolution: the shortest key segment in seconds (`--timeline-resolution`).
    ///   - timelineSwitchPenalty: nil for the cost the weights declare
    ///     (`KeyTimeline.declaredSwitchPenalty(_:)`); a number for the evaluation's search.
    ///   - frontEnd: nil for the one the weights declare (`FrontEnd.declared(by:)`: the
    ///     shipped model's is fast, the reference's exact); `.exact` for `--exact`.
    ///   - oggVorbis: which library decodes Ogg Vorbis; tests force libvorbisfile.
    public init(modelPath: String, timelineResolution: Double = KeyTimeline.defaultResolution,
                timelineSwitchPenalty: Double? = nil, frontEnd: FrontEnd? = nil,
                oggVorbis: OggVorbisDecoding = .ffmpegThenLibvorbisfile) throws(AnalyzerSetupError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: modelPath)) }
        catch { throw .model(.unreadable(path: modelPath, reason: error.localizedDescription)) }
        do { model = try KeyNet(data: data) }
        catch { throw .model(error) }
        self.modelPath = modelPath
        let timeline = KeyTimeline(resolution: timelineResolution,
                                   switchPenalty: timelineSwitchPenalty ?? KeyTimeline.declaredSwitchPenalty(model.config))
        self.timeline = timeline
        let frontEnd = frontEnd ?? FrontEnd.declared(by: model.config)
        // Forced libvorbisfile decodes Ogg Vorbis a little differently: its results are its own,
        // and so are each front end's.
        identity = "keyscan-pipeline-\(Self.pipelineVersion)/timeline-\(timeline.resolution)-\(timeline.switchPenalty)"
            + "/weights-fnv1a64-" + String(fnv1a64(data), radix: 16)
            + "/front-end-\(frontEnd.rawValue)"
            + (oggVorbis == .libvorbisfile ? "/libvorbisfile" : "")
        do { features = try FeatureExtractor(frontEnd: frontEnd, oggVorbis: oggVorbis) }
        catch { throw .transform(error) }
    }

    /// Per-thread buffers for the model, reused across files.
    public final class Workspace {
        let model: [KeyNetWorkspace]
        /// `threads` > 1 spreads one track's model stage over that many threads, and lets an
        /// MP3's decoding use two (`MP3Split`): for a caller with cores to spare (fewer files at
        /// once than cores). The results are the same.
        public init(for analyzer: Analyzer, threads: Int = 1) {
            model = (0..<max(1, threads)).map { _ in KeyNetWorkspace(for: analyzer.model) }
        }

        var threads: Int { model.count }
    }

    /// Analyzes one file. Never throws: every failure becomes an error result.
    ///
    /// - Parameters:
    ///   - limits: the file's time budget; past it the result is the error `timeout`.
    ///   - isCancelled: polled as often as the deadline (in FFmpeg's interrupt callback and
    ///     between decoded frames), from this thread; once it returns true, decoding stops
    ///     and the result is the error `cancelled`. For a server that abandons requests.
    public func analyze(path: String, workspace: Workspace, profiling: Bool = false,
                        limits: AnalysisLimits = .default,
                        isCancelled: (@Sendable () -> Bool)? = nil) -> (AnalysisResult, FileProfile) {
        var timer = StageTimer(path: path, enabled: profiling)
        let start = ContinuousClock.now
        let deadline = Deadline(limits: limits, sampleRate: features.kernels.configuration.sampleRate, isCancelled: isCancelled)
        var audio = FeatureExtractor.DecodedAudio()
        var tonality: Double?
        var segments: [KeySegment] = []
        var tuning: Tuning?
        let outcome: AnalysisResult.Outcome
        do throws(AnalysisError) {
            // The network and the tonality measure take the spectrogram as it is computed,
            // so no stage holds a whole track (memory is the same at 4 minutes and 2 hours).
            let stream = KeyNetStream(model: model, workspaces: workspace.model, droppedFrames: FeatureExtractor.droppedFrames)
            var accumulator = Tonality.Accumulator(bins: features.kernels.configuration.binCount,
                                                   droppedFrames: FeatureExtractor.droppedFrames)
            var tuningEstimator = TuningEstimator(configuration: features.kernels.configuration)
            var modelSeconds = 0.0
            try features.streamModelInput(path: path, deadline: deadline, timer: &timer, audio: &audio,
                                          threads: workspace.threads) { frames in
                accumulator.add(frameMajor: frames)
                tuningEstimator.add(frameMajor: frames)
                let start = ContinuousClock.now
                stream.append(frameMajor: frames)
                modelSeconds += (ContinuousClock.now - start).seconds
            }
            timer.add(modelSeconds, to: .model)
            let measured = audio.isSilent ? 0 : accumulator.value
            tonality = measured
            if audio.isSilent {
                outcome = .noKey(code: "silent", message: "\(path) is silent (no sample above −100 dBFS)",
                                 durationSeconds: audio.seconds)
            } else if measured < Tonality.threshold {
                outcome = .noKey(code: "no_tonal_content",
                                 message: String(format: "%@ has no tonal content (tonality %.3f, below %.3f): noise, or no pitched sound",
                                                 path, measured, Tonality.threshold),
                                 durationSeconds: audio.seconds)
            } else {
                let logits: [Float]
                do {
                    logits = try timer.measure(.model) { () throws(ModelError) in try stream.finish() }
                } catch { throw .model(path: path, error) }
                outcome = .success(KeyEstimate(logits: logits, temperature: model.config.temperature),
                                   durationSeconds: audio.seconds)
                let columnSeconds = Double(model.config.timeStride) / features.kernels.configuration.framesPerSecond
                segments = timeline.segments(columnLogits: stream.columnLogits, columnSeconds: columnSeconds,
                                             duration: audio.seconds, temperature: model.config.temperature)
                tuning = tuningEstimator.estimate
            }
        } catch {
            outcome = .failure(code: error.code, message: error.message)
        }
        timer.finish(total: (ContinuousClock.now - start).seconds, audioSeconds: audio.seconds)
        return (AnalysisResult(path: path, outcome: outcome, warnings: audio.warnings, tonality: tonality,
                               segments: segments, tuning: tuning), timer.profile)
    }
}

/// FNV-1a, 64 bits: a fast fingerprint of the weights (not a defence against forgery).
/// Over the raw bytes: through `Data`'s own iterator it cost 3.5 ms of every start-up for the
/// shipped 0.7 MB (perf); this way it no longer shows in the profile.
func fnv1a64(_ data: Data) -> UInt64 {
    data.withUnsafeBytes { bytes in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

/// Why a file could not be given a key.
public enum AnalysisError: Error, CustomStringConvertible {
    case decode(DecodeError)
    case tooShort(path: String, seconds: Double)
    /// No sample above −100 dBFS. `analyze` reports it as `no_key`; `features` as this error.
    case silent(path: String)
    /// The file ran past its `AnalysisLimits`.
    case timeout(path: String, elapsedSeconds: Double, audioSeconds: Double, limits: AnalysisLimits)
    /// The caller's `isCancelled` returned true.
    case cancelled(path: String)
    case model(path: String, ModelError)
    case internalError(path: String, reason: String)

    /// Stable snake_case identifier for the JSON report.
    public var code: String {
        switch self {
        case .decode(let error): error.code
        case .tooShort: "too_short"
        case .silent: "silent"
        case .timeout: "timeout"
        case .cancelled: "cancelled"
        case .model: "model_failed"
        case .internalError: "internal_error"
        }
    }

    public var message: String {
        switch self {
        case .decode(let error): error.message
        case .tooShort(let path, let seconds):
            String(format: "%@ holds %.2f s of audio; at least %.0f s are needed", path, seconds, FeatureExtractor.minimumDuration)
        case .silent(let path): "\(path) is silent (no sample above −100 dBFS)"
        case .timeout(let path, let elapsed, let audio, let limits):
            String(format: "%@: gave up after %.2f s, past its limit of %.2f s (%.2f s + %.2f s per second of audio, %.1f s of audio decoded)",
                   path, elapsed, limits.budget(audioSeconds: audio), limits.baseSeconds, limits.secondsPerAudioSecond, audio)
        case .cancelled(let path): "analysis of \(path) was cancelled"
        case .model(let path, let error): "\(path): \(error)"
        case .internalError(let path, let reason): "\(path): \(reason)"
        }
    }

    public var description: String { message }
}

/// Why an `Analyzer` could not be made.
public enum AnalyzerSetupError: Error, CustomStringConvertible {
    case model(ModelError)
    case transform(CQTConfigurationError)

    public var description: String {
        switch self {
        case .model(let error): "cannot load the model: \(error)"
        case .transform(let error): "\(error)"
        }
    }
}
