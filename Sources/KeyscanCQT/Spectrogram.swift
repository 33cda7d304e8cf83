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
}
