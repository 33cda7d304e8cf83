import Foundation
import KeyscanCQT
import Testing
@testable import KeyscanModel

/// Swift vs PyTorch on the fixture of tools/fixtures/make_keynet_fixture.py: a random nf = 4 KeyNet
/// with random BatchNorm statistics, a (105, 77) input, PyTorch's eval-mode outputs.
@Suite struct KeyNetGoldenTests {
    /// Both sides compute in float32 and differ only in accumulation order (sgemm blocking
    /// vs PyTorch's convolution) and exp implementation: ~1e-7 relative per value, a few
    /// 1e-7 absolute on logits of order 1 (the fixture tool reports float32 PyTorch vs
    /// float64 at 1.3e-7). 2e-5 leaves margin for other BLAS kernels while still catching
    /// any real error (a missing BN fold or shifted padding moves logits by > 1e-2).
    static let tolerance: Float = 2e-5

    struct Golden {
        let model: KeyNet
        let input: Spectrogram
        let logits: [Float]
        let conv9: [Float]   // (24, 13, 9)
    }

    static func golden() throws -> Golden {
        let model = try KeyNet(contentsOf: fixtureURL("keynet-nf4"))
        let file = try SafetensorsFile(Data(contentsOf: fixtureURL("keynet-nf4-golden")))
        let input = file.tensors["input"]!
        return Golden(model: model,
                      input: Spectrogram(bins: input.shape[0], frames: input.shape[1], values: file.floats(input)),
                      logits: file.floats(file.tensors["logits"]!),
                      conv9: file.floats(file.tensors["conv9"]!))
    }

    init() { setBLASThreadCount(1) }

    @Test func fixtureMetadata() throws {
        let config = try Self.golden().model.config
        #expect(config.width == 4)
        #expect(config.name == "fixture-keynet-nf4")
        #expect(config.version == "1")
    }

    @Test func logitsMatchPyTorch() throws {
        let golden = try Self.golden()
        #expect(golden.input.frames == 77)
        let logits = try golden.model.logits(for: golden.input, workspace: KeyNetWorkspace(for: golden.model))
        let difference = maxAbsDifference(logits, golden.logits)
        print("KeyNet golden (nf 4, 77 frames): max |Swift − PyTorch| logit = \(difference)")
        #expect(difference < Self.tolerance)
    }

    /// The last layer's map before the average, for pinpointing a mismatch.
    @Test func lastLayerMatchesPyTorch() throws {
        let golden = try Self.golden()
        let workspace = KeyNetWorkspace(for: golden.model)
        let schedule = TileSchedule(frames: 77, tileFrames: workspace.tileFrames, config: golden.model.config)
        #expect(schedule.count == 1)
        let map = golden.input.values.withUnsafeBufferPointer { input in
            let map = golden.model.forward(schedule[0], input: input.baseAddress!, frames: 77, workspace: workspace)
            return Array(UnsafeBufferPointer(start: map, count: 24 * 13 * 9))
        }
        let difference = maxAbsDifference(map, golden.conv9)
        print("KeyNet golden conv9 map: max |Swift − PyTorch| = \(difference)")
        #expect(difference < Self.tolerance)
    }

    /// Tiles of 16 frames (5 tiles, each mostly halo) and two threads give PyTorch's
    /// whole-track answer too.
    @Test func smallTilesAndThreadsMatchPyTorch() throws {
        let golden = try Self.golden()
        let workspaces = [KeyNetWorkspace(for: golden.model, tileFrames: 16), KeyNetWorkspace(for: golden.model, tileFrames: 16)]
        let logits = try golden.model.logits(for: golden.input, workspaces: workspaces)
        #expect(maxAbsDifference(logits, golden.logits) < Self.tolerance)
    }
}
