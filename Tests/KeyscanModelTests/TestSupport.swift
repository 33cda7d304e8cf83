import Foundation
import KeyscanCQT
import KeyscanTestSupport
@testable import KeyscanModel

extension SeededGenerator {
    mutating func floats(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}

/// A tensor for a hand-made safetensors file; `offsets` overrides the packed position.
struct TestTensor {
    var name: String
    var dtype = "F32"
    var shape: [Int]
    var bytes: [UInt8]
    var offsets: [Int]? = nil

    init(name: String, shape: [Int], floats: [Float]) {
        self.name = name
        self.shape = shape
        bytes = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    }
    init(name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }
}

/// Writes a safetensors file: tensors packed in order unless they carry their own offsets;
/// `headerLength` overrides the length field.
func safetensorsData(_ tensors: [TestTensor], metadata: [String: String]?, headerLength: UInt64? = nil) -> Data {
    var header: [String: Any] = [:]
    if let metadata { header["__metadata__"] = metadata }
    var body = [UInt8]()
    for tensor in tensors {
        let offsets = tensor.offsets ?? [body.count, body.count + tensor.bytes.count]
        header[tensor.name] = ["dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": offsets]
        body += tensor.bytes
    }
    let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    var data = Data()
    withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    data.append(contentsOf: body)
    return data
}

/// The metadata block tools/common/keynet.py writes.
func keynetMetadata(nf: Int) -> [String: String] {
    [
        "format": "keyscan-keynet", "format_version": "1", "nf": String(nf),
        "classes": KeyNetConfig.classes.joined(separator: ","),
        "name": "test-nf\(nf)", "version": "1", "description": "random test model",
    ]
}

/// A random KeyNet with randomised BatchNorm, as the tensors of a weights file.
/// Weights are uniform with variance 1/fan-in so activations stay of order 1.
func randomKeyNetTensors(nf: Int, seed: UInt64, stepCounters: Bool = true) -> [TestTensor] {
    var rng = SeededGenerator(seed: seed)
    var tensors: [TestTensor] = []
    for layer in KeyNetConfig(width: nf).layers {
        let bound = (3 / Float(layer.patchSize)).squareRoot()
        let n = layer.outChannels
        tensors.append(TestTensor(name: "\(layer.name).conv.weight", shape: [n, layer.inChannels, layer.kernel, layer.kernel],
                                  floats: rng.floats(n * layer.patchSize, in: -bound...bound)))
        tensors.append(TestTensor(name: "\(layer.name).bn.weight", shape: [n], floats: rng.floats(n, in: 0.5...1.5)))
        tensors.append(TestTensor(name: "\(layer.name).bn.bias", shape: [n], floats: rng.floats(n, in: -0.3...0.3)))
        tensors.append(TestTensor(name: "\(layer.name).bn.running_mean", shape: [n], floats: rng.floats(n, in: -0.3...0.3)))
        tensors.append(TestTensor(name: "\(layer.name).bn.running_var", shape: [n], floats: rng.floats(n, in: 0.2...2.2)))
        if stepCounters {
            tensors.append(TestTensor(name: "\(layer.name).bn.num_batches_tracked", dtype: "I64", shape: [],
                                      bytes: withUnsafeBytes(of: Int64(100).littleEndian, Array.init)))
        }
    }
    return tensors
}

func randomKeyNet(nf: Int, seed: UInt64) throws -> KeyNet {
    try KeyNet(data: safetensorsData(randomKeyNetTensors(nf: nf, seed: seed), metadata: keynetMetadata(nf: nf)))
}

/// A (105, frames) spectrogram of log1p of a positive random field, like a log-CQT.
func randomSpectrogram(frames: Int, seed: UInt64, bins: Int = KeyNetConfig.inputBins) -> Spectrogram {
    var rng = SeededGenerator(seed: seed)
    return Spectrogram(bins: bins, frames: frames, values: (0..<bins * frames).map { _ in log1p(Float.random(in: 0...4, using: &rng)) })
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The fixture files written by tools/fixtures/make_keynet_fixture.py.
func fixtureURL(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name).safetensors"])
    }
    return url
}
