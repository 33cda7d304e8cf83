import Foundation
import KeyscanCQT
import Testing
@testable import KeyscanModel

/// Time tiling gives the whole-track forward: the final average over tiles' interiors
/// equals the untiled network, at the track ends too.
@Suite struct TilingTests {
    init() { setBLASThreadCount(1) }

    @Test func receptiveFieldComesFromTheLayerList() {
        let config = KeyNetConfig(width: 20)
        // Walking back from final column 0: conv8, conv7 → columns [-2, 2]; pool → [-4, 5];
        // conv6, conv5 → [-6, 7]; pool → [-12, 15]; conv4, conv3 → [-14, 17]; pool →
        // [-28, 35]; conv2, conv1 (5×5) → input frames [-31, 38]: 31 frames either side of
        // the 8 frames 0…7 that column 0 stands for.
        #expect(config.receptiveReach.left == 31)
        #expect(config.receptiveReach.right == 31)
        #expect(config.tileHalo == 32)
        #expect(config.timeStride == 8)
        #expect(config.multiplyAccumulates(frames: 1200) == 2_545_848_000)
    }

    @Test func scheduleCoversEveryColumnOnce() {
        let config = KeyNetConfig(width: 4)
        for frames in [8, 77, 513, 1000, 18_000] {
            let schedule = TileSchedule(frames: frames, tileFrames: 512, config: config)
            let columns = (0..<schedule.count).flatMap { Array(schedule[$0].outputColumns) }
            #expect(columns == Array(0..<frames / 8))
            for index in 0..<schedule.count {
                let tile = schedule[index]
                #expect(tile.inputFrames.lowerBound % 8 == 0)
                #expect(tile.inputFrames.count <= 512 + 64)
                #expect(tile.inputFrames.lowerBound >= 0 && tile.inputFrames.upperBound <= frames)
            }
        }
    }

    /// Logits with tiles of `tileFrames`; `halo` overrides the schedule's.
    static func tiledLogits(_ model: KeyNet, _ spectrogram: Spectrogram, tileFrames: Int, halo: Int? = nil) -> [Float] {
        let workspace = KeyNetWorkspace(for: model, tileFrames: tileFrames)
        let schedule = TileSchedule(frames: spectrogram.frames, tileFrames: workspace.tileFrames, config: model.config, halo: halo)
        var sums = [Double](repeating: 0, count: 24)
        spectrogram.values.withUnsafeBufferPointer { input in
            for index in 0..<schedule.count {
                model.forward(schedule[index], input: input.baseAddress!, frames: spectrogram.frames, workspace: workspace)
                for c in 0..<24 { sums[c] += workspace.tileSums[c] }
            }
        }
        return sums.map { Float($0 / Double(schedule.outputHeight * schedule.outputWidth)) }
    }

    /// Untiled: one tile wider than the track.
    static func untiledLogits(_ model: KeyNet, _ spectrogram: Spectrogram) throws -> [Float] {
        try model.logits(for: spectrogram, workspace: KeyNetWorkspace(for: model, tileFrames: spectrogram.frames + 8))
    }

    /// Track lengths: the minimum, odd, shorter than a tile, exactly a tile, several tiles
    /// with a short last one.
    @Test(arguments: [8, 15, 61, 64, 77, 200, 333])
    func tiledEqualsUntiled(frames: Int) throws {
        let model = try randomKeyNet(nf: 3, seed: 11)
        let spectrogram = randomSpectrogram(frames: frames, seed: UInt64(frames))
        let untiled = try Self.untiledLogits(model, spectrogram)
        for tileFrames in [8, 24, 64] {
            let tiled = try model.logits(for: spectrogram, workspace: KeyNetWorkspace(for: model, tileFrames: tileFrames))
            // Same float32 arithmetic per column; only the GEMM band split and the order of
            // the double-precision sums differ.
            #expect(maxAbsDifference(tiled, untiled) < 1e-6, "T=\(frames), tile \(tileFrames)")
        }
    }

    /// The check above would catch a halo short of the receptive field.
    @Test func haloShorterThanReceptiveFieldIsWrong() throws {
        let model = try randomKeyNet(nf: 3, seed: 11)
        let spectrogram = randomSpectrogram(frames: 200, seed: 3)
        let untiled = try Self.untiledLogits(model, spectrogram)
        #expect(maxAbsDifference(Self.tiledLogits(model, spectrogram, tileFrames: 24), untiled) < 1e-6)
        #expect(maxAbsDifference(Self.tiledLogits(model, spectrogram, tileFrames: 24, halo: 24), untiled) > 1e-5)
    }

    @Test func threadsGiveBitIdenticalLogits() throws {
        let model = try randomKeyNet(nf: 3, seed: 5)
        let spectrogram = randomSpectrogram(frames: 301, seed: 9)
        let one = try model.logits(for: spectrogram, workspace: KeyNetWorkspace(for: model, tileFrames: 32))
        let three = try model.logits(for: spectrogram, workspaces: (0..<3).map { _ in KeyNetWorkspace(for: model, tileFrames: 32) })
        #expect(one == three)
        // Tiles follow the first workspace; a narrower second one grows to fit.
        let narrow = KeyNetWorkspace(for: model, tileFrames: 8)
        let mixed = try model.logits(for: spectrogram, workspaces: [KeyNetWorkspace(for: model, tileFrames: 32), narrow])
        #expect(mixed == one)
        #expect(narrow.tileFrames == 8)
    }

    @Test func workspaceIsReusedAcrossTracksAndModels() throws {
        let small = try randomKeyNet(nf: 2, seed: 1), large = try randomKeyNet(nf: 3, seed: 2)
        let workspace = KeyNetWorkspace(for: small, tileFrames: 64)
        let before = workspace.byteCount
        let spectrogram = randomSpectrogram(frames: 150, seed: 4)
        let first = try small.logits(for: spectrogram, workspace: workspace)
        _ = try small.logits(for: randomSpectrogram(frames: 500, seed: 5), workspace: workspace)
        #expect(workspace.byteCount == before)          // a longer track needs no more memory
        let wide = try large.logits(for: spectrogram, workspace: workspace)
        #expect(workspace.byteCount > before)           // a wider model grows it …
        #expect(try small.logits(for: spectrogram, workspace: workspace) == first)   // … and it still works
        #expect(wide == (try large.logits(for: spectrogram, workspace: KeyNetWorkspace(for: large, tileFrames: 64))))
    }

    @Test func tooShortOrWrongBinsThrow() throws {
        let model = try randomKeyNet(nf: 2, seed: 1)
        let workspace = KeyNetWorkspace(for: model)
        #expect(throws: ModelError.inputTooShort(frames: 7, minimum: 8)) {
            try model.logits(for: randomSpectrogram(frames: 7, seed: 1), workspace: workspace)
        }
        #expect(throws: ModelError.inputTooShort(frames: 0, minimum: 8)) {
            try model.logits(for: Spectrogram(bins: 105, frames: 0, values: []), workspace: workspace)
        }
        #expect(throws: ModelError.wrongBinCount(got: 84, expected: 105)) {
            try model.logits(for: randomSpectrogram(frames: 50, seed: 1, bins: 84), workspace: workspace)
        }
        #expect(ModelError.inputTooShort(frames: 7, minimum: 8).description == "spectrogram has 7 frames, expected at least 8 (three 2× poolings)")
        #expect(try model.logits(for: randomSpectrogram(frames: 8, seed: 1), workspace: workspace).count == 24)
    }
}
