import Foundation
import KeyscanCQT
import KeyscanDecode
import KeyscanModel
import KeyscanReport

/// The whole pipeline for one file: decode → constant-Q transform → KeyNet → key.
///
/// Holds what every file shares (the model and the transform's kernels); immutable and
/// safe to use from many threads, each with its own `Analyzer.Workspace`.
public final class Analyzer: Sendable {
    /// Shorter audio is reported as `too_short`: KeyNet needs 8 frames after the 2
    /// dropped ones (1.8 s at 5 frames/s), and a key from less than 2 s means little.
    public static let minimumDuration = 2.0
    /// A track whose loudest sample stays below this (−100 dBFS) is reported as `silent`.
    public static let silenceThreshold: Float = 1e-5
    /// openkeyscan drops the transform's last two frames, mostly centre padding.
    static let droppedFrames = 2

    public let model: KeyNet
    public let modelPath: String
    let kernels: CQTKernels

    /// Loads the weights and builds the transform's kernels.
    public init(modelPath: String) throws(AnalyzerSetupError) {
        do { model = try KeyNet(contentsOf: URL(fileURLWithPath: modelPath)) }
        catch { throw .model(error) }
        self.modelPath = modelPath
        do { kernels = try CQTKernels(configuration: .keyNet) }
        catch { throw .transform(error) }
    }

    /// Per-thread buffers for the model, reused across files.
    public final class Workspace {
        let model: [KeyNetWorkspace]
        /// `threads` > 1 spreads one track's model stage over that many threads.
        public init(for analyzer: Analyzer, threads: Int = 1) {
            model = (0..<max(1, threads)).map { _ in KeyNetWorkspace(for: analyzer.model) }
        }
    }

    /// Analyzes one file. Never throws: every failure becomes an error result.
    public func analyze(path: String, workspace: Workspace, profiling: Bool = false) -> (AnalysisResult, FileProfile) {
        var timer = StageTimer(path: path, enabled: profiling)
        let start = ContinuousClock.now
        var audio = DecodedAudio(seconds: 0, warnings: [])
        let outcome: AnalysisResult.Outcome
        do throws(AnalysisError) {
            let spectrogram = try modelInput(path: path, timer: &timer, audio: &audio)
            let logits: [Float]
            do {
                logits = try timer.measure(.model) { () throws(ModelError) in
                    try model.logits(for: spectrogram, workspaces: workspace.model)
                }
            } catch { throw .model(path: path, error) }
            outcome = .success(KeyEstimate(logits: logits), durationSeconds: audio.seconds)
        } catch {
            outcome = .failure(code: error.code, message: error.message)
        }
        timer.finish(total: (ContinuousClock.now - start).seconds, audioSeconds: audio.seconds)
        return (AnalysisResult(path: path, outcome: outcome, warnings: audio.warnings), timer.profile)
    }

    /// The spectrogram the model sees for `path`: decoded, transformed, the last two frames
    /// dropped, checked for length and silence. Training features come from here too, so
    /// the model is trained on exactly what it is later shown.
    public func modelInput(path: String) throws(AnalysisError) -> Spectrogram {
        var timer = StageTimer(path: path, enabled: false)
        var audio = DecodedAudio(seconds: 0, warnings: [])
        return try modelInput(path: path, timer: &timer, audio: &audio)
    }

    struct DecodedAudio {
        var seconds: Double
        var warnings: [String]
    }

    private func modelInput(path: String, timer: inout StageTimer, audio: inout DecodedAudio) throws(AnalysisError) -> Spectrogram {
        do {
            let decoder = try timer.measure(.open) { () throws(DecodeError) in try AudioDecoder(path: path) }
            let transform = ConstantQTransform(kernels: kernels)
            var peak: Float = 0
            while let block = try timer.measure(.decode, { () throws(DecodeError) in try decoder.nextBlock() }) {
                timer.measure(.transform) {
                    block.withUnsafeBufferPointer { samples in
                        for s in samples { peak = max(peak, abs(s)) }
                        transform.append(samples)
                    }
                }
            }
            audio.warnings = decoder.warnings
            audio.seconds = Double(transform.sampleCount) / Double(decoder.sampleRate)
            let spectrogram = timer.measure(.transform) { transform.finish(droppingLastFrames: Self.droppedFrames) }
            // Add the workers' thread time: the wall time above was mostly spent handing
            // chunks over, while the products ran on other threads beside decoding.
            timer.add(transform.transformSeconds, to: .transform)
            guard audio.seconds >= Self.minimumDuration else { throw AnalysisError.tooShort(path: path, seconds: audio.seconds) }
            guard peak >= Self.silenceThreshold else { throw AnalysisError.silent(path: path) }
            return spectrogram
        } catch let error as DecodeError {
            throw .decode(error)
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw .internalError(path: path, reason: "\(error)")
        }
    }
}

/// Why a file could not be given a key.
public enum AnalysisError: Error, CustomStringConvertible {
    case decode(DecodeError)
    case tooShort(path: String, seconds: Double)
    case silent(path: String)
    case model(path: String, ModelError)
    case internalError(path: String, reason: String)

    /// Stable snake_case identifier for the JSON report.
    public var code: String {
        switch self {
        case .decode(let error): error.code
        case .tooShort: "too_short"
        case .silent: "silent"
        case .model: "model_failed"
        case .internalError: "internal_error"
        }
    }

    public var message: String {
        switch self {
        case .decode(let error): error.message
        case .tooShort(let path, let seconds):
            String(format: "%@ holds %.2f s of audio; at least %.0f s are needed", path, seconds, Analyzer.minimumDuration)
        case .silent(let path): "\(path) is silent (no sample above −100 dBFS)"
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
