/// Every buffer one forward pass needs: one workspace per thread, reused for every track.
///
/// Buffers are sized for one time tile (`tileFrames` plus the halo on each side), not for
/// the track, so memory stays bounded however long the track is. They are allocated when
/// the workspace is made; a forward pass allocates nothing, and a buffer only grows if a
/// wider model, or wider tiles (`KeyNet.logits(for:workspaces:)` uses the first
/// workspace's), than it was made for come along.
///
/// Not thread-safe: one thread at a time.
public final class KeyNetWorkspace {
    /// The default tile: 256 input frames (≈ 51 s at 5 frames/s, 32 output columns).
    /// With the 32-frame halo each side, 25 % of frames are computed twice; in exchange the
    /// buffers for the nf = 20 model take about 6.4 MB instead of 10.7 MB at 512 frames,
    /// which keeps a whole batch under 100 MB (measured: docs/benchmarks.md).
    public static let defaultTileFrames = 256
    /// Upper bound for the im2col buffer, in floats: 1 MiB, one core's L2 on this Zen 4,
    /// so sgemm reads a band that im2col just wrote from cache (4 MiB bands made conv2
    /// 1.5× slower). It always holds at least one image row of patches.
    static let colsBudget = 1 << 18

    /// Input frames of a tile's interior: a multiple of 8 (the pooling stride).
    public let tileFrames: Int

    /// (C, H, W) activations of the current layer and the next, swapped layer by layer;
    /// each holds the largest C·H·W of any layer for a tile `tileFrames + 2·halo` wide.
    private(set) var ping: UnsafeMutablePointer<Float>
    private(set) var pong: UnsafeMutablePointer<Float>
    private(set) var activationCapacity = 0
    /// (Cin·k·k, rows·W): im2col patches of a band of output rows.
    private(set) var cols: UnsafeMutablePointer<Float>
    private(set) var colsCapacity = 0
    /// The widest tile (input frames) reserved for so far, for forward's bounds check.
    private(set) var reservedTileWidth = 0
    /// (24): per-class sums of the last layer over one tile's interior columns.
    let tileSums: UnsafeMutablePointer<Double>
    /// (interior columns, 24): each interior column's class means over the frequency rows
    /// (its logits), for the key timeline.
    private(set) var columnLogits: UnsafeMutablePointer<Float>
    private(set) var columnLogitsCapacity = 0

    /// A workspace for `model`, its tiles `tileFrames` input frames wide (rounded up to a
    /// multiple of 8). Wider tiles waste less on halos but need more memory.
    public init(for model: KeyNet, tileFrames: Int = KeyNetWorkspace.defaultTileFrames) {
        let stride = model.config.timeStride
        self.tileFrames = max(stride, (tileFrames + stride - 1) / stride * stride)
        ping = Self.allocate(0)
        pong = Self.allocate(0)
        cols = Self.allocate(0)
        tileSums = UnsafeMutablePointer<Double>.allocate(capacity: KeyNetConfig.classes.count)
        columnLogits = Self.allocate(0)
        reserve(for: model.config, tileFrames: self.tileFrames)
    }

    deinit {
        for buffer in [ping, pong, cols, columnLogits] { buffer.deallocate() }
        tileSums.deallocate()
    }

    /// Bytes held by the workspace's buffers.
    public var byteCount: Int {
        (2 * activationCapacity + colsCapacity + columnLogitsCapacity) * MemoryLayout<Float>.stride
            + KeyNetConfig.classes.count * MemoryLayout<Double>.stride
    }

    /// Grows the buffers (never shrinks) to fit a tile of `tileFrames` interior frames plus
    /// a halo on each side through `config`'s network.
    func reserve(for config: KeyNetConfig, tileFrames: Int) {
        let tileWidth = tileFrames + 2 * config.tileHalo
        var height = KeyNetConfig.inputBins, width = tileWidth
        var activations = height * width              // the input tile, (1, 105, W)
        var patches = 0
        for layer in config.layers {
            activations = max(activations, layer.outChannels * height * width)
            if layer.kernel > 1 {
                let row = layer.patchSize * width
                patches = max(patches, row * max(1, min(height, Self.colsBudget / row)))
            }
            if layer.poolAfter { height /= 2; width /= 2 }
        }
        reservedTileWidth = max(reservedTileWidth, tileWidth)
        if activations > activationCapacity {
            ping.deallocate(); pong.deallocate()
            ping = Self.allocate(activations)
            pong = Self.allocate(activations)
            activationCapacity = activations
        }
        let columnValues = KeyNetConfig.classes.count * (tileWidth / config.timeStride)
        if columnValues > columnLogitsCapacity {
            columnLogits.deallocate()
            columnLogits = Self.allocate(columnValues)
            columnLogitsCapacity = columnValues
        }
        if patches > colsCapacity {
            cols.deallocate()
            cols = Self.allocate(patches)
            colsCapacity = patches
        }
    }

    /// 64-byte aligned (one AVX-512 vector, one cache line).
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }
}

@available(*, unavailable, message: "a KeyNetWorkspace belongs to one thread; make one per thread")
extension KeyNetWorkspace: Sendable {}
