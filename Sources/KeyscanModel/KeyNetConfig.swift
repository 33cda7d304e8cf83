/// One KeyNet block: k×k convolution ('same' zero padding) → BatchNorm → ELU, then an
/// optional 2×2 max pool (stride 2, floor).
struct ConvLayerShape: Sendable, Equatable {
    let name: String            // "conv1" … "conv9", the tensor-name prefix
    let inChannels: Int
    let outChannels: Int
    let kernel: Int             // odd, so 'same' padding is kernel / 2 on every side
    let poolAfter: Bool

    /// Rows of the im2col matrix and columns of the weight matrix: Cin·k·k.
    var patchSize: Int { inChannels * kernel * kernel }
}

/// What the weights file's metadata says about the network, and the layer list it implies.
///
/// The architecture is fixed (KeyNet, Korzeniowski & Widmer 2018); only the width `nf`
/// varies, so a narrower model trained later loads with the same engine.
public struct KeyNetConfig: Sendable, Equatable {
    /// The `format` metadata value of a keyscan KeyNet file.
    public static let format = "keyscan-keynet"
    /// `format_version` values this engine reads.
    public static let supportedFormatVersions = ["1"]
    /// The 24 output classes in logit order (Camelot): 1A … 12A (minor), 1B … 12B (major).
    public static let classes: [String] = (1...12).map { "\($0)A" } + (1...12).map { "\($0)B" }
    /// Frequency bins of the input spectrogram (24 per octave from 65 Hz).
    public static let inputBins = 105
    /// BatchNorm2d's epsilon in the reference model.
    static let batchNormEpsilon = 1e-5
    /// Widest `nf` accepted: conv8 alone would hold (8·1024)²·9 floats, 2.4 GB, so no real
    /// model comes near it, and every size derived from `nf` stays far from overflowing
    /// (an `nf` near Int.max in a corrupt file once trapped on `8 * nf`).
    public static let maximumWidth = 1024

    /// The network width `nf`: conv1/conv2 have nf channels, then 2nf, 4nf, 8nf.
    public let width: Int
    /// Free-form model identification from the metadata ("" when absent).
    public let name: String
    public let version: String
    public let description: String
    /// Divides the logits before the softmax so that confidence is calibrated: fitted on
    /// validation data by `tools/training/calibrate.py` (metadata `temperature`; 1 when absent).
    public let temperature: Float
    /// The front end whose features the model expects (metadata `front_end`): "exact",
    /// "fast", or "" when the file does not say (the reference's weights, older models),
    /// which means exact. `Keyscan.FrontEnd` reads it.
    public let frontEnd: String
    /// The values `front_end` may take.
    public static let frontEnds = ["exact", "fast"]
    /// The key timeline's cost of a key change, in nats, that the model was tuned with
    /// (metadata `timeline_switch_penalty`, chosen on validation songs by
    /// tools/evaluation/timeline.py); nil when the file does not say. `Keyscan.KeyTimeline` reads it.
    public let timelineSwitchPenalty: Double?

    /// conv1 … conv9.
    let layers: [ConvLayerShape]

    init(width: Int, name: String = "", version: String = "", description: String = "", temperature: Float = 1,
         frontEnd: String = "", timelineSwitchPenalty: Double? = nil) {
        precondition((1...Self.maximumWidth).contains(width), "KeyNet width \(width), expected 1…\(Self.maximumWidth)")
        precondition(temperature.isFinite && temperature > 0, "KeyNet temperature \(temperature), expected > 0")
        self.width = width
        self.name = name
        self.version = version
        self.description = description
        self.temperature = temperature
        self.frontEnd = frontEnd
        self.timelineSwitchPenalty = timelineSwitchPenalty
        let nf = width
        layers = [
            ConvLayerShape(name: "conv1", inChannels: 1, outChannels: nf, kernel: 5, poolAfter: false),
            ConvLayerShape(name: "conv2", inChannels: nf, outChannels: nf, kernel: 3, poolAfter: true),
            ConvLayerShape(name: "conv3", inChannels: nf, outChannels: 2 * nf, kernel: 3, poolAfter: false),
            ConvLayerShape(name: "conv4", inChannels: 2 * nf, outChannels: 2 * nf, kernel: 3, poolAfter: true),
            ConvLayerShape(name: "conv5", inChannels: 2 * nf, outChannels: 4 * nf, kernel: 3, poolAfter: false),
            ConvLayerShape(name: "conv6", inChannels: 4 * nf, outChannels: 4 * nf, kernel: 3, poolAfter: true),
            ConvLayerShape(name: "conv7", inChannels: 4 * nf, outChannels: 8 * nf, kernel: 3, poolAfter: false),
            ConvLayerShape(name: "conv8", inChannels: 8 * nf, outChannels: 8 * nf, kernel: 3, poolAfter: false),
            ConvLayerShape(name: "conv9", inChannels: 8 * nf, outChannels: Self.classes.count, kernel: 1, poolAfter: false),
        ]
    }

    /// Reads and validates `__metadata__`.
    init(metadata: [String: String]?) throws(ModelError) {
        guard let metadata else {
            throw .missingMetadata(key: "__metadata__", expected: "format, format_version, classes, nf")
        }
        func require(_ key: String, _ expected: String) throws(ModelError) -> String {
            guard let value = metadata[key] else { throw .missingMetadata(key: key, expected: expected) }
            return value
        }
        let format = try require("format", "\"\(Self.format)\"")
        guard format == Self.format else {
            throw .invalidMetadata(key: "format", got: format, expected: "\"\(Self.format)\"")
        }
        let version = try require("format_version", "one of \(Self.supportedFormatVersions.joined(separator: ", "))")
        guard Self.supportedFormatVersions.contains(version) else {
            throw .unsupportedFormatVersion(got: version, supported: Self.supportedFormatVersions)
        }
        let camelot = Self.classes.joined(separator: ",")
        let classes = try require("classes", "\"\(camelot)\"")
        guard classes == camelot else {
            throw .invalidMetadata(key: "classes", got: classes, expected: "\"\(camelot)\" (Camelot order)")
        }
        let nf = try require("nf", "a positive integer")
        guard let width = Int(nf), width > 0 else {
            throw .invalidMetadata(key: "nf", got: nf, expected: "a positive integer")
        }
        guard width <= Self.maximumWidth else {
            throw .invalidMetadata(key: "nf", got: nf, expected: "at most \(Self.maximumWidth)")
        }
        var temperature: Float = 1
        if let text = metadata["temperature"] {
            // A calibration temperature far outside 0.05…20 is a broken file, not a fit.
            guard let value = Float(text), value.isFinite, (0.05...20).contains(value) else {
                throw .invalidMetadata(key: "temperature", got: text, expected: "a number from 0.05 to 20")
            }
            temperature = value
        }
        let frontEnd = metadata["front_end"] ?? ""
        guard frontEnd.isEmpty || Self.frontEnds.contains(frontEnd) else {
            throw .invalidMetadata(key: "front_end", got: frontEnd, expected: Self.frontEnds.map { "\"\($0)\"" }.joined(separator: " or "))
        }
        var timelineSwitchPenalty: Double?
        if let text = metadata["timeline_switch_penalty"] {
            guard let value = Double(text), value.isFinite, (0...10_000).contains(value) else {
                throw .invalidMetadata(key: "timeline_switch_penalty", got: text, expected: "a number from 0 to 10000")
            }
            timelineSwitchPenalty = value
        }
        self.init(width: width, name: metadata["name"] ?? "", version: metadata["version"] ?? "",
                  description: metadata["description"] ?? "", temperature: temperature, frontEnd: frontEnd,
                  timelineSwitchPenalty: timelineSwitchPenalty)
    }

    /// Product of the pooling strides: 8. Tiles start on multiples of it so every pool
    /// window of a tile is a pool window of the whole track.
    public var timeStride: Int { layers.reduce(1) { $1.poolAfter ? $0 * 2 : $0 } }

    /// Fewest input frames that leave at least one output column after the poolings.
    public var minimumFrames: Int { timeStride }

    /// Input frames before the first and after the last frame covered by one output column
    /// that can change it: the receptive field's reach, walked back through the layer list.
    /// For KeyNet (two 3×3 per level, 5×5 first, three pools) it is 31 frames each side.
    var receptiveReach: (left: Int, right: Int) {
        var lo = 0, hi = 0                        // final-level columns influencing column 0
        for layer in layers.reversed() {
            if layer.poolAfter { lo = 2 * lo; hi = 2 * hi + 1 }
            lo -= layer.kernel / 2
            hi += layer.kernel / 2
        }
        return (left: -lo, right: hi - (timeStride - 1))
    }

    /// Halo of a time tile: the receptive reach rounded up to a multiple of `timeStride`,
    /// so a tile's extended window still starts on a pool boundary.
    var tileHalo: Int {
        let reach = max(receptiveReach.left, receptiveReach.right)
        return (reach + timeStride - 1) / timeStride * timeStride
    }

    /// Multiply-accumulates of one forward pass over `frames` input frames.
    public func multiplyAccumulates(frames: Int) -> Int {
        var height = Self.inputBins, width = frames, total = 0
        for layer in layers {
            total += layer.outChannels * layer.patchSize * height * width
            if layer.poolAfter { height /= 2; width /= 2 }
        }
        return total
    }
}
