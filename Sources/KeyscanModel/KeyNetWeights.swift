/// One convolution with its BatchNorm folded in: y = ELU(weight × patch + bias).
struct FoldedConv: Sendable {
    let shape: ConvLayerShape
    /// (Cout, Cin·k·k) row-major: conv weight × γ/√(var+ε).
    let weight: [Float]
    /// (Cout): β − mean·γ/√(var+ε).
    let bias: [Float]
}

/// The network's parameters, validated against the config and folded at load.
struct KeyNetWeights: Sendable {
    let layers: [FoldedConv]

    private static let batchNormParts = ["weight", "bias", "running_mean", "running_var"]

    /// Names and shapes every KeyNet file must hold, for this config.
    static func expectedTensors(_ config: KeyNetConfig) -> [(name: String, shape: [Int])] {
        config.layers.flatMap { layer in
            [("\(layer.name).conv.weight", [layer.outChannels, layer.inChannels, layer.kernel, layer.kernel])]
                + batchNormParts.map { ("\(layer.name).bn.\($0)", [layer.outChannels]) }
        }
    }

    init(_ file: SafetensorsFile, config: KeyNetConfig) throws(ModelError) {
        let expected = Self.expectedTensors(config)
        let expectedNames = Set(expected.map(\.name))
        // BatchNorm's step counter may be present (PyTorch saves it); it is not used.
        let ignored = Set(config.layers.map { "\($0.name).bn.num_batches_tracked" })

        for name in file.tensors.keys.sorted() where !expectedNames.contains(name) && !ignored.contains(name) {
            throw .unknownTensor(name: name)
        }
        let missing = expected.map(\.name).filter { file.tensors[$0] == nil }
        guard missing.isEmpty else { throw .missingTensors(names: missing) }
        for name in ignored.sorted() {
            if let tensor = file.tensors[name], tensor.dtype != "I64" {
                throw .wrongDType(tensor: name, got: tensor.dtype, expected: "I64")
            }
        }
        var values: [String: [Float]] = [:]
        for (name, shape) in expected {
            let tensor = file.tensors[name]!
            guard tensor.dtype == "F32" else { throw .wrongDType(tensor: name, got: tensor.dtype, expected: "F32") }
            guard tensor.shape == shape else { throw .wrongShape(tensor: name, got: tensor.shape, expected: shape) }
            let floats = file.floats(tensor)
            if let bad = floats.firstIndex(where: { !$0.isFinite }) {
                throw .invalidValue(tensor: name, index: bad, value: floats[bad], reason: "a finite number")
            }
            if name.hasSuffix(".running_var"), let bad = floats.firstIndex(where: { $0 < 0 }) {
                throw .invalidValue(tensor: name, index: bad, value: floats[bad], reason: "a variance >= 0")
            }
            values[name] = floats
        }
        layers = config.layers.map { layer in
            Self.fold(layer, weight: values["\(layer.name).conv.weight"]!,
                      gamma: values["\(layer.name).bn.weight"]!, beta: values["\(layer.name).bn.bias"]!,
                      mean: values["\(layer.name).bn.running_mean"]!, variance: values["\(layer.name).bn.running_var"]!)
        }
    }

    /// BatchNorm folded into the convolution, in double precision:
    /// w' = w·γ/√(var+ε), b' = β − mean·γ/√(var+ε).
    static func fold(_ shape: ConvLayerShape, weight: [Float], gamma: [Float], beta: [Float],
                     mean: [Float], variance: [Float]) -> FoldedConv {
        let patch = shape.patchSize
        var folded = [Float](repeating: 0, count: weight.count)
        var bias = [Float](repeating: 0, count: shape.outChannels)
        for o in 0..<shape.outChannels {
            let scale = Double(gamma[o]) / (Double(variance[o]) + KeyNetConfig.batchNormEpsilon).squareRoot()
            for i in 0..<patch { folded[o * patch + i] = Float(Double(weight[o * patch + i]) * scale) }
            bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
        }
        return FoldedConv(shape: shape, weight: folded, bias: bias)
    }
}
