import Dispatch
import Foundation
import KeyscanCQT

/// KeyNet (Korzeniowski & Widmer 2018): a log-CQT spectrogram of a whole track in,
/// 24 key logits out (Camelot order, `KeyNetConfig.classes`).
///
/// Loaded once, immutable, shared by every thread; each thread brings its own
/// `KeyNetWorkspace`. The track is processed in time tiles: the network is fully
/// convolutional and ends in a global average, so each tile (plus a halo as wide as the
/// receptive field) yields exact final-layer columns for its interior, and their sum
/// over all tiles is the whole track's sum.
public final class KeyNet: Sendable {
    /// What the weights file declared: width, name, version.
    public let config: KeyNetConfig
    let weights: KeyNetWeights

    /// Loads and validates a keyscan KeyNet safetensors file (see tools/common/keynet.py).
    public convenience init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data)
    }

    /// Parses and validates the bytes of a weights file; BatchNorm is folded here.
    public init(data: Data) throws(ModelError) {
        let file = try SafetensorsFile(data)
        config = try KeyNetConfig(metadata: file.metadata)
        weights = try KeyNetWeights(file, config: config)
    }

    /// The 24 logits for a whole spectrogram, on the calling thread.
    ///
    /// - Throws: `ModelError.wrongBinCount` unless it has 105 bins,
    ///   `ModelError.inputTooShort` below `config.minimumFrames` (8) frames.
    public func logits(for spectrogram: Spectrogram, workspace: KeyNetWorkspace) throws(ModelError) -> [Float] {
        try logits(for: spectrogram, workspaces: [workspace])
    }

    /// The 24 logits for a whole spectrogram, its time tiles spread over one thread per
    /// workspace. Bit-identical to the single-workspace call: each tile is computed the
    /// same way and tile sums are added in tile order. Tiles follow the first workspace's
    /// `tileFrames`.
    public func logits(for spectrogram: Spectrogram, workspaces: [KeyNetWorkspace]) throws(ModelError) -> [Float] {
        precondition(!workspaces.isEmpty, "KeyNet.logits: no workspace")
        guard spectrogram.bins == KeyNetConfig.inputBins else {
            throw .wrongBinCount(got: spectrogram.bins, expected: KeyNetConfig.inputBins)
        }
        guard spectrogram.frames >= config.minimumFrames else {
            throw .inputTooShort(frames: spectrogram.frames, minimum: config.minimumFrames)
        }
        let classes = KeyNetConfig.classes.count
        let schedule = TileSchedule(frames: spectrogram.frames, tileFrames: workspaces[0].tileFrames, config: config)
        for workspace in workspaces { workspace.reserve(for: config, tileFrames: schedule.tileFrames) }

        // (tiles, 24): each tile's class sums, added in tile order below.
        var perTile = [Double](repeating: 0, count: schedule.count * classes)
        let threads = min(workspaces.count, schedule.count)
        spectrogram.values.withUnsafeBufferPointer { input in
            perTile.withUnsafeMutableBufferPointer { perTile in
                let job = TileJob(model: self, schedule: schedule, workspaces: workspaces, threads: threads,
                                  input: input.baseAddress!, perTile: perTile.baseAddress!)
                if threads == 1 {
                    job.run(worker: 0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: threads) { job.run(worker: $0) }
                }
            }
        }
        var sums = [Double](repeating: 0, count: classes)
        for index in 0..<schedule.count {
            for c in 0..<classes { sums[c] += perTile[index * classes + c] }
        }
        let positions = Double(schedule.outputHeight * schedule.outputWidth)
        return sums.map { Float($0 / positions) }
    }

    /// One tile through all layers; leaves its interior class sums in `workspace.tileSums`,
    /// its interior columns' logits in `workspace.columnLogits`, and returns the last layer's map (24, 13, tile width / 8), valid until the next call.
    /// `input` is (105, `frames`) bin-major and starts at track frame `firstFrame` (0 for a
    /// whole spectrogram, more for `KeyNetStream`'s window).
    @discardableResult
    func forward(_ tile: TimeTile, input: UnsafePointer<Float>, frames: Int, firstFrame: Int = 0,
                 workspace: KeyNetWorkspace) -> UnsafePointer<Float> {
        precondition(tile.inputFrames.count <= workspace.reservedTileWidth, "tile wider than the workspace was reserved for")
        precondition(tile.inputFrames.lowerBound >= firstFrame && tile.inputFrames.upperBound - firstFrame <= frames,
                     "tile \(tile.inputFrames) outside the input's frames")
        var x = workspace.ping, y = workspace.pong
        var height = KeyNetConfig.inputBins, width = tile.inputFrames.count
        for bin in 0..<height {   // x(1, H, width) ← the tile's frames
            (x + bin * width).update(from: input + bin * frames + tile.inputFrames.lowerBound - firstFrame, count: width)
        }
        for layer in weights.layers {
            convolution(y, x, layer, height: height, width: width, cols: workspace.cols, colsCapacity: workspace.colsCapacity)
            swap(&x, &y)
            if layer.shape.poolAfter {
                maxPool2x2(y, x, channels: layer.shape.outChannels, height: height, width: width)
                swap(&x, &y)
                height /= 2
                width /= 2
            }
        }
        // x(24, H/8, width/8): keep the columns of the tile's interior.
        let first = tile.outputColumns.lowerBound - tile.inputFrames.lowerBound / config.timeStride
        sumColumns(workspace.tileSums, x, channels: KeyNetConfig.classes.count, height: height, width: width,
                   columns: first..<(first + tile.outputColumns.count), columnMeans: workspace.columnLogits)
        return UnsafePointer(x)
    }
}

/// The tiles of one track, dealt round-robin to `threads` workers: worker i uses only
/// `workspaces[i]` and writes only the rows i, i + threads, … of `perTile`.
/// @unchecked because the compiler cannot see that disjointness; `input` is read-only.
private struct TileJob: @unchecked Sendable {
    let model: KeyNet
    let schedule: TileSchedule
    let workspaces: [KeyNetWorkspace]
    let threads: Int
    let input: UnsafePointer<Float>          // (105, T) spectrogram
    let perTile: UnsafeMutablePointer<Double> // (tiles, 24) class sums

    func run(worker: Int) {
        let workspace = workspaces[worker]
        let classes = KeyNetConfig.classes.count
        for index in stride(from: worker, to: schedule.count, by: threads) {
            model.forward(schedule[index], input: input, frames: schedule.frames, workspace: workspace)
            (perTile + index * classes).update(from: workspace.tileSums, count: classes)
        }
    }
}

/// One time tile: the input frames it reads and the final-layer columns it contributes.
struct TimeTile: Equatable {
    /// Input frames read: the interior plus up to `tileHalo` frames each side, clipped to
    /// the track, so at the track's ends the zero padding is the network's own.
    /// Starts on a multiple of the pooling stride (8).
    let inputFrames: Range<Int>
    /// Final-layer columns (1 per 8 input frames) whose values are exact in this tile.
    let outputColumns: Range<Int>
}

/// The track cut into tiles of `tileFrames` (a multiple of 8) input frames.
struct TileSchedule {
    let frames: Int
    let columnsPerTile: Int
    let stride: Int
    let halo: Int
    /// Final-layer (frequency, time) size of the whole track: 105/8 = 13 rows, ⌊T/8⌋ columns.
    let outputHeight: Int
    let outputWidth: Int

    /// `halo` is the config's (the receptive reach rounded up to 8); tests pass a smaller
    /// one to show that it would be wrong.
    init(frames: Int, tileFrames: Int, config: KeyNetConfig, halo: Int? = nil) {
        stride = config.timeStride
        precondition(tileFrames > 0 && tileFrames % stride == 0, "tile of \(tileFrames) frames, expected a multiple of \(stride)")
        self.frames = frames
        columnsPerTile = tileFrames / stride
        self.halo = halo ?? config.tileHalo
        outputWidth = frames / stride
        outputHeight = KeyNetConfig.inputBins / stride
    }

    /// Interior input frames per tile.
    var tileFrames: Int { columnsPerTile * stride }

    var count: Int { (outputWidth + columnsPerTile - 1) / columnsPerTile }

    subscript(index: Int) -> TimeTile {
        let columns = (index * columnsPerTile)..<min(outputWidth, (index + 1) * columnsPerTile)
        let start = max(0, columns.lowerBound * stride - halo)
        let end = min(frames, columns.upperBound * stride + halo)
        return TimeTile(inputFrames: start..<end, outputColumns: columns)
    }
}
