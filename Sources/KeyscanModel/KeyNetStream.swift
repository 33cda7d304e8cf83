import Dispatch

/// KeyNet over a spectrogram that arrives a few frames at a time, as the transform computes
/// it: each time tile runs as soon as its input (interior and halo) is complete, and only
/// the frames later tiles still need are kept, so memory is the same for a 4-minute track
/// and a 10-hour one.
///
/// The logits are bit-identical to `KeyNet.logits(for:workspaces:)` on the whole
/// spectrogram less its last `droppedFrames`: the tiles are the same (`TileSchedule`'s),
/// each is computed the same way, and their sums are added in tile order. A tile is run
/// only once the frames that may still be dropped are past its halo, since the last
/// tile's extent depends on where the track ends.
///
/// One stream per track, used from one thread; its workspaces belong to it meanwhile.
public final class KeyNetStream {
    public let model: KeyNet
    private let workspaces: [KeyNetWorkspace]
    private let droppedFrames: Int
    private let stride: Int
    private let halo: Int
    private let columnsPerTile: Int
    private static let bins = KeyNetConfig.inputBins

    /// (bins, capacity) bin-major: track frames `windowStart ..< windowStart + windowCount`.
    private var window: [Float]
    private var capacity: Int
    private var windowStart = 0
    private var windowCount = 0
    /// The next tile to run, and the class sums of the tiles run so far, added in tile order.
    private var nextTile = 0
    private var sums = [Double](repeating: 0, count: KeyNetConfig.classes.count)
    /// (columns, 24): each final-layer time column's logits (its class means over the
    /// frequency rows), in track order, one column per `config.timeStride` frames (1.6 s):
    /// the evidence `KeyTimeline` decodes. 96 bytes per column, 216 KB for a 6-hour track.
    /// The global logits are their mean. Complete once `finish` has returned.
    public private(set) var columnLogits: [Float] = []
    /// Frames the window can hold before it moves or grows (for tests).
    var windowCapacity: Int { capacity }
    /// Frames appended so far, dropped ones included.
    public private(set) var receivedFrames = 0

    /// Tiles follow the first workspace's `tileFrames`; with several workspaces, that many
    /// tiles at a time run in parallel, one per workspace.
    public init(model: KeyNet, workspaces: [KeyNetWorkspace], droppedFrames: Int = 0) {
        precondition(!workspaces.isEmpty, "KeyNetStream: no workspace")
        self.model = model
        self.workspaces = workspaces
        self.droppedFrames = max(0, droppedFrames)
        stride = model.config.timeStride
        halo = model.config.tileHalo
        columnsPerTile = workspaces[0].tileFrames / stride
        for workspace in workspaces { workspace.reserve(for: model.config, tileFrames: workspaces[0].tileFrames) }
        // Enough for a round of tiles, their halos and a transform chunk; grows if needed.
        capacity = workspaces.count * workspaces[0].tileFrames + 2 * halo + 64
        window = [Float](repeating: 0, count: Self.bins * capacity)
    }

    /// Appends frames, frame-major: (frames, 105), frame t's bin b at `t * 105 + b`, as
    /// `ConstantQTransform.takeComputedFrames` gives them. Runs the tiles they complete.
    public func append(frameMajor frames: [Float]) {
        precondition(frames.count % Self.bins == 0, "KeyNetStream: \(frames.count) values are not whole frames of \(Self.bins) bins")
        let count = frames.count / Self.bins
        guard count > 0 else { return }
        makeRoom(for: count)
        window.withUnsafeMutableBufferPointer { w in
            frames.withUnsafeBufferPointer { f in
                for t in 0..<count {
                    for b in 0..<Self.bins { w[b * capacity + windowCount + t] = f[t * Self.bins + b] }
                }
            }
        }
        windowCount += count
        receivedFrames += count
        // Wait for a full round unless the track ends: parallel workspaces each get a tile.
        let ready = readyTiles(trackFrames: nil)
        if ready.count >= workspaces.count { run(ready) }
    }

    /// The 24 logits, once every frame is in: runs the remaining tiles.
    ///
    /// - Throws: `ModelError.inputTooShort` below `config.minimumFrames` frames (after the
    ///   dropped ones), as `KeyNet.logits` does.
    public func finish() throws(ModelError) -> [Float] {
        let frames = max(0, receivedFrames - droppedFrames)
        guard frames >= model.config.minimumFrames else {
            throw .inputTooShort(frames: frames, minimum: model.config.minimumFrames)
        }
        run(readyTiles(trackFrames: frames))
        let positions = Double((Self.bins / stride) * (frames / stride))
        return sums.map { Float($0 / positions) }
    }

    /// The tiles from `nextTile` on whose input is complete: with `trackFrames` known
    /// (the end), all the rest, clipped to the track as `TileSchedule` clips them; before
    /// it, those whose input, halo included, lies before any frame that may be dropped.
    private func readyTiles(trackFrames: Int?) -> [TimeTile] {
        var tiles: [TimeTile] = []
        var index = nextTile
        while true {
            let first = index * columnsPerTile
            let columns: Range<Int>, inputEnd: Int
            if let trackFrames {
                let width = trackFrames / stride
                guard first < width else { break }
                columns = first..<min(width, first + columnsPerTile)
                inputEnd = min(trackFrames, columns.upperBound * stride + halo)
            } else {
                columns = first..<(first + columnsPerTile)
                inputEnd = columns.upperBound * stride + halo
                guard inputEnd <= receivedFrames - droppedFrames else { break }
            }
            tiles.append(TimeTile(inputFrames: max(0, first * stride - halo)..<inputEnd, outputColumns: columns))
            index += 1
        }
        return tiles
    }

    /// Runs `tiles` (consecutive, from `nextTile`), one per workspace at a time, and adds
    /// their sums in tile order.
    private func run(_ tiles: [TimeTile]) {
        guard !tiles.isEmpty else { return }
        let classes = KeyNetConfig.classes.count
        var perTile = [Double](repeating: 0, count: tiles.count * classes)   // (tiles, 24)
        // (tiles, columnsPerTile, 24): each tile's column logits, its interior columns first.
        var perTileColumns = [Float](repeating: 0, count: tiles.count * columnsPerTile * classes)
        let threads = min(workspaces.count, tiles.count)
        window.withUnsafeBufferPointer { w in
            perTile.withUnsafeMutableBufferPointer { out in
                perTileColumns.withUnsafeMutableBufferPointer { columns in
                    let job = StreamTileJob(model: model, tiles: tiles, workspaces: workspaces, threads: threads,
                                            input: w.baseAddress!, frames: capacity, firstFrame: windowStart,
                                            perTile: out.baseAddress!, perTileColumns: columns.baseAddress!,
                                            columnsPerTile: columnsPerTile)
                    if threads == 1 {
                        job.run(worker: 0)
                    } else {
                        DispatchQueue.concurrentPerform(iterations: threads) { job.run(worker: $0) }
                    }
                }
            }
        }
        for (index, tile) in tiles.enumerated() {
            for c in 0..<classes { sums[c] += perTile[index * classes + c] }
            let first = index * columnsPerTile * classes
            columnLogits += perTileColumns[first..<(first + tile.outputColumns.count * classes)]
        }
        nextTile += tiles.count
    }

    /// Makes room for `count` more frames: first drops the frames no later tile reads,
    /// then grows the window if that is not enough.
    private func makeRoom(for count: Int) {
        guard windowCount + count > capacity else { return }
        let keepFrom = max(windowStart, nextTile * columnsPerTile * stride - halo)
        let drop = keepFrom - windowStart
        let kept = windowCount - drop
        let newCapacity = max(capacity, kept + count)
        if newCapacity == capacity {
            window.withUnsafeMutableBufferPointer { w in
                for b in 0..<Self.bins where drop > 0 && kept > 0 {
                    let row = w.baseAddress! + b * capacity
                    row.update(from: row + drop, count: kept)
                }
            }
        } else {
            var grown = [Float](repeating: 0, count: Self.bins * newCapacity)
            for b in 0..<Self.bins {
                for t in 0..<kept { grown[b * newCapacity + t] = window[b * capacity + drop + t] }
            }
            window = grown
            capacity = newCapacity
        }
        windowStart = keepFrom
        windowCount = kept
    }
}

/// One round of a stream's tiles, dealt round-robin to `threads` workers: worker i uses
/// only `workspaces[i]` and writes only rows i, i + threads, … of `perTile`.
/// @unchecked because the compiler cannot see that disjointness; `input` is read-only.
private struct StreamTileJob: @unchecked Sendable {
    let model: KeyNet
    let tiles: [TimeTile]
    let workspaces: [KeyNetWorkspace]
    let threads: Int
    let input: UnsafePointer<Float>           // (105, frames) window, from track frame firstFrame
    let frames: Int
    let firstFrame: Int
    let perTile: UnsafeMutablePointer<Double> // (tiles, 24) class sums
    let perTileColumns: UnsafeMutablePointer<Float> // (tiles, columnsPerTile, 24) column logits
    let columnsPerTile: Int

    func run(worker: Int) {
        let workspace = workspaces[worker]
        let classes = KeyNetConfig.classes.count
        for index in Swift.stride(from: worker, to: tiles.count, by: threads) {
            model.forward(tiles[index], input: input, frames: frames, firstFrame: firstFrame, workspace: workspace)
            (perTile + index * classes).update(from: workspace.tileSums, count: classes)
            (perTileColumns + index * columnsPerTile * classes)
                .update(from: workspace.columnLogits, count: tiles[index].outputColumns.count * classes)
        }
    }
}
