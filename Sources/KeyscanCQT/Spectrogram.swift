/// A log-magnitude constant-Q spectrogram, `log(1 + |C|)`: the model's input.
///
/// Stored frequency-major, as the network reads it: `values[bin * frames + frame]`,
/// shape (bins, frames), bin 0 the lowest frequency.
public struct Spectrogram: Sendable, Equatable {
    public let bins: Int
    public let frames: Int
    /// (bins, frames), row-major.
    public var values: [Float]

    public init(bins: Int, frames: Int, values: [Float]) {
        precondition(values.count == bins * frames, "Spectrogram: \(values.count) values for \(bins)×\(frames)")
        self.bins = bins
        self.frames = frames
        self.values = values
    }

    public subscript(bin bin: Int, frame frame: Int) -> Float {
        get { values[bin * frames + frame] }
        set { values[bin * frames + frame] = newValue }
    }

    /// The same spectrogram without its last `count` frames (openkeyscan drops two:
    /// the final frames are mostly the zero padding of the centred transform).
    public func droppingLastFrames(_ count: Int) -> Spectrogram {
        let kept = max(0, frames - count)
        var out = [Float](repeating: 0, count: bins * kept)
        for b in 0..<bins {
            for t in 0..<kept { out[b * kept + t] = values[b * frames + t] }
        }
        return Spectrogram(bins: bins, frames: kept, values: out)
    }
}
