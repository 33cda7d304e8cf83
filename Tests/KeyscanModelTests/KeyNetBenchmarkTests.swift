import Foundation
import KeyscanCQT
@testable import KeyscanModel
import KeyscanTestSupport
import Testing

/// Forward-pass speed and memory, run on demand only:
///
///     KEYSCAN_MODEL_BENCH=1 swift test -c release --filter KeyNetBenchmark
///
/// Random weights (speed does not depend on the values), one BLAS thread.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["KEYSCAN_MODEL_BENCH"] != nil))
struct KeyNetBenchmark {
    init() { setBLASThreadCount(1) }

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// 4-minute track (1200 frames), nf 20 and 8, one thread; then two threads on tiles.
    @Test func forwardTime() throws {
        let frames = 1200
        let spectrogram = randomSpectrogram(frames: frames, seed: 1)
        for nf in [20, 8] {
            let model = try randomKeyNet(nf: nf, seed: 1)
            let workspace = KeyNetWorkspace(for: model)
            _ = try model.logits(for: spectrogram, workspace: workspace)   // warm up
            var times = try (0..<7).map { _ in try Self.milliseconds { _ = try model.logits(for: spectrogram, workspace: workspace) } }
            times.sort()
            let gflop = 2 * Double(model.config.multiplyAccumulates(frames: frames)) / 1e9
            let pair = [workspace, KeyNetWorkspace(for: model)]
            let twoThreads = try (0..<5).map { _ in try Self.milliseconds { _ = try model.logits(for: spectrogram, workspaces: pair) } }.min()!
            print(String(format: "KeyNet nf %2d, %d frames: %.3f GMAC; 1 thread min %.1f ms median %.1f ms (%.1f GFLOP/s); 2 threads %.1f ms",
                         nf, frames, gflop / 2, times[0], times[times.count / 2], gflop / times[0] * 1e3, twoThreads))
        }
    }

    /// Each layer of one default-width tile (576 frames with halos), nf 20: where the time goes.
    @Test func perLayer() throws {
        let model = try randomKeyNet(nf: 20, seed: 1)
        let workspace = KeyNetWorkspace(for: model)
        var rng = SeededGenerator(seed: 3)
        let capacity = workspace.byteCount / 8
        let a = UnsafeMutablePointer<Float>.allocate(capacity: capacity), b = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { a.deallocate(); b.deallocate() }
        for i in 0..<capacity { a[i] = Float.random(in: -1...1, using: &rng) }
        var height = KeyNetConfig.inputBins, width = workspace.tileFrames + 2 * model.config.tileHalo, total = 0.0
        for layer in model.weights.layers {
            let ms = (0..<5).map { _ in
                Self.milliseconds {
                    convolution(b, a, layer, height: height, width: width, cols: workspace.cols, colsCapacity: workspace.colsCapacity)
                }
            }.min()!
            let gflop = 2 * Double(layer.shape.outChannels * layer.shape.patchSize * height * width) / 1e9
            total += ms
            print(String(format: "%@ (%3d, %3d, %3d) → %3d  %6.2f ms  %5.1f GFLOP/s", layer.shape.name,
                         layer.shape.inChannels, height, width, layer.shape.outChannels, ms, gflop / ms * 1e3))
            if layer.shape.poolAfter { height /= 2; width /= 2 }
        }
        print(String(format: "convolutions of one tile: %.1f ms", total))
    }

    /// Peak resident memory added by a 60-minute track (18,000 frames) through the nf 20
    /// model: workspace plus everything the forward touches. The spectrogram (7.6 MB) is
    /// the caller's and made before the measurement starts. Inside the test runner, heap
    /// pages freed by earlier tests get reused, so this can read below the workspace size;
    /// a fresh process on the 2-core Zen 4 dev machine showed +10.1 MB for one workspace, +21.2 MB for two
    /// (the second includes OpenBLAS's buffers for the second thread).
    @Test func peakMemoryForOneHour() throws {
        let model = try randomKeyNet(nf: 20, seed: 1)
        let spectrogram = randomSpectrogram(frames: 18_000, seed: 2)
        for threads in [1, 2] {
            let before = try Self.resetPeakResident()
            var time = 0.0
            let workspaces = (0..<threads).map { _ in KeyNetWorkspace(for: model) }
            time = try Self.milliseconds { _ = try model.logits(for: spectrogram, workspaces: workspaces) }
            let peak = try Self.residentKilobytes("VmHWM")
            print(String(format: "KeyNet nf 20, 18000 frames, %d workspace(s) of %.1f MB: peak RSS +%.1f MB, %.0f ms",
                         threads, Double(workspaces[0].byteCount) / 1e6, Double(peak - before) / 1e3, time))
        }
    }

    /// Resets VmHWM to the current RSS (Linux: "5" to clear_refs) and returns it in kB.
    static func resetPeakResident() throws -> Int {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        return try residentKilobytes("VmHWM")
    }

    static func residentKilobytes(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") }!
        return Int(line.split(separator: " ").dropFirst().first!)!
    }
}
