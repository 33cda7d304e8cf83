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
        var audioSeconds = 0.0
        var warnings: [String] = []
        let outcome: AnalysisResult.Outcome
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
            warnings = decoder.warnings
            audioSeconds = Double(transform.sampleCount) / Double(decoder.sampleRate)
            var spectrogram = timer.measure(.transform) { transform.finish() }
            // The transform's own thread time replaces the wall time measured above, which
            // was mostly spent handing chunks to the workers.
            timer.add(transform.transformSeconds, to: .transform)

            guard audioSeconds >= Self.minimumDuration else { throw AnalysisFailure.tooShort(seconds: audioSeconds) }
            guard peak >= Self.silenceThreshold else { throw AnalysisFailure.silent }
            spectrogram = spectrogram.droppingLastFrames(Self.droppedFrames)
            let logits = try timer.measure(.model) { () throws(ModelError) in
                try model.logits(for: spectrogram, workspaces: workspace.model)
            }
            outcome = .success(KeyEstimate(logits: logits), durationSeconds: audioSeconds)
        } catch let error as DecodeError {
            outcome = .failure(code: error.code, message: error.message)
        } catch let error as AnalysisFailure {
            outcome = .failure(code: error.code, message: error.message(path: path))
        } catch let error as ModelError {
            outcome = .failure(code: "model_failed", message: "\(path): \(error)")
        } catch {
            outcome = .failure(code: "internal_error", message: "\(path): \(error)")
        }
        timer.finish(total: (ContinuousClock.now - start).seconds, audioSeconds: audioSeconds)
        return (AnalysisResult(path: path, outcome: outcome, warnings: warnings), timer.profile)
    }
}

/// Why a file that decoded cannot be given a key.
enum AnalysisFailure: Error {
    case tooShort(seconds: Double)
    case silent

    var code: String {
        switch self {
        case .tooShort: "too_short"
        case .silent: "silent"
        }
    }

    func message(path: String) -> String {
        switch self {
        case .tooShort(let seconds):
            String(format: "%@ holds %.2f s of audio; at least %.0f s are needed", path, seconds, Analyzer.minimumDuration)
        case .silent:
            "\(path) is silent (no sample above −100 dBFS)"
        }
    }
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
