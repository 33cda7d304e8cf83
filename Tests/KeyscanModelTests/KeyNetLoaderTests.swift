import Foundation
import Testing
@testable import KeyscanModel

/// Every way a weights file can be wrong is a precise error saying what was found and
/// what was expected.
@Suite struct KeyNetLoaderTests {
    static let nf = 2

    static func tensors() -> [TestTensor] { randomKeyNetTensors(nf: nf, seed: 42) }

    static func load(_ tensors: [TestTensor], metadata: [String: String]? = keynetMetadata(nf: nf)) throws(ModelError) -> KeyNet {
        try KeyNet(data: safetensorsData(tensors, metadata: metadata))
    }

    /// Loads, expects `error`, and checks its message contains each of `phrases`.
    static func expectRejection(_ data: Data, _ error: ModelError, _ phrases: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try KeyNet(data: data)
            Issue.record("loaded, expected \(error)", sourceLocation: sourceLocation)
        } catch let thrown {
            #expect(thrown == error, sourceLocation: sourceLocation)
            for phrase in phrases {
                #expect(thrown.description.contains(phrase), "\"\(thrown.description)\" lacks \"\(phrase)\"", sourceLocation: sourceLocation)
            }
        }
    }

    static func modified(_ body: (inout [TestTensor]) -> Void) -> Data {
        var tensors = tensors()
        body(&tensors)
        return safetensorsData(tensors, metadata: keynetMetadata(nf: nf))
    }

    static func index(_ tensors: [TestTensor], _ name: String) -> Int { tensors.firstIndex { $0.name == name }! }

    @Test func validFileLoads() throws {
        let model = try Self.load(Self.tensors())
        #expect(model.config.width == Self.nf)
        #expect(model.config.name == "test-nf2")
        #expect(model.config.description == "random test model")
        #expect(model.weights.layers.map(\.shape.name) == (1...9).map { "conv\($0)" })
        // The step counters are optional.
        _ = try Self.load(randomKeyNetTensors(nf: Self.nf, seed: 42, stepCounters: false))
    }

    @Test func batchNormIsFolded() throws {
        var tensors = Self.tensors()
        let gamma: [Float] = [2, 0.5], beta: [Float] = [1, -1], mean: [Float] = [0.25, -0.5], variance: [Float] = [3, 0.75]
        for (part, values) in [("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", variance)] {
            tensors[Self.index(tensors, "conv1.bn.\(part)")] = TestTensor(name: "conv1.bn.\(part)", shape: [2], floats: values)
        }
        let weight = tensors[Self.index(tensors, "conv1.conv.weight")].bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let folded = try Self.load(tensors).weights.layers[0]
        for o in 0..<2 {
            let scale = gamma[o] / (variance[o] + 1e-5).squareRoot()
            #expect(abs(folded.bias[o] - (beta[o] - mean[o] * scale)) < 1e-6)
            for i in 0..<25 { #expect(abs(folded.weight[o * 25 + i] - weight[o * 25 + i] * scale) < 1e-6) }
        }
    }

    // MARK: tensors

    @Test func unknownTensorName() {
        let data = Self.modified { $0[Self.index($0, "conv3.bn.bias")].name = "conv3.bn.beta" }
        Self.expectRejection(data, .unknownTensor(name: "conv3.bn.beta"), ["\"conv3.bn.beta\"", "expected", "conv1 … conv9"])
    }

    @Test func missingTensor() {
        let data = Self.modified { $0.remove(at: Self.index($0, "conv9.bn.running_var")) }
        Self.expectRejection(data, .missingTensors(names: ["conv9.bn.running_var"]), ["missing conv9.bn.running_var"])
    }

    @Test func wrongShape() {
        let data = Self.modified {
            $0[Self.index($0, "conv3.conv.weight")] = TestTensor(name: "conv3.conv.weight", shape: [4, 2, 5, 5],
                                                                 floats: [Float](repeating: 0.1, count: 200))
        }
        Self.expectRejection(data, .wrongShape(tensor: "conv3.conv.weight", got: [4, 2, 5, 5], expected: [4, 2, 3, 3]),
                             ["conv3.conv.weight: shape [4, 2, 5, 5], expected [4, 2, 3, 3]"])
    }

    @Test func shapesFollowMetadataWidth() {
        // nf = 2 tensors declared as nf = 3: the first mismatch is reported.
        let data = safetensorsData(Self.tensors(), metadata: keynetMetadata(nf: 3))
        Self.expectRejection(data, .wrongShape(tensor: "conv1.conv.weight", got: [2, 1, 5, 5], expected: [3, 1, 5, 5]),
                             ["shape [2, 1, 5, 5], expected [3, 1, 5, 5]"])
    }

    @Test func halfPrecisionRejected() {
        let data = Self.modified {
            let i = Self.index($0, "conv1.conv.weight")
            $0[i] = TestTensor(name: "conv1.conv.weight", dtype: "F16", shape: [2, 1, 5, 5], bytes: [UInt8](repeating: 0, count: 100))
        }
        Self.expectRejection(data, .wrongDType(tensor: "conv1.conv.weight", got: "F16", expected: "F32"),
                             ["conv1.conv.weight: dtype F16, expected F32"])
    }

    @Test func stepCounterMustBeInteger() {
        let data = Self.modified {
            $0[Self.index($0, "conv2.bn.num_batches_tracked")] = TestTensor(name: "conv2.bn.num_batches_tracked", shape: [], floats: [1])
        }
        Self.expectRejection(data, .wrongDType(tensor: "conv2.bn.num_batches_tracked", got: "F32", expected: "I64"),
                             ["dtype F32, expected I64"])
    }

    @Test func unusableValues() {
        let infinite = Self.modified {
            $0[Self.index($0, "conv4.conv.weight")].bytes.replaceSubrange(8..<12, with: withUnsafeBytes(of: Float.infinity.bitPattern, Array.init))
        }
        Self.expectRejection(infinite, .invalidValue(tensor: "conv4.conv.weight", index: 2, value: .infinity, reason: "a finite number"),
                             ["conv4.conv.weight", "index 2", "expected a finite number"])
        let negative = Self.modified {
            $0[Self.index($0, "conv5.bn.running_var")] = TestTensor(name: "conv5.bn.running_var", shape: [8],
                                                                    floats: [1, 1, 1, -0.5, 1, 1, 1, 1])
        }
        Self.expectRejection(negative, .invalidValue(tensor: "conv5.bn.running_var", index: 3, value: -0.5, reason: "a variance >= 0"),
                             ["value -0.5", "expected a variance >= 0"])
    }

    // MARK: file structure

    @Test func truncatedFile() {
        let data = safetensorsData(Self.tensors(), metadata: keynetMetadata(nf: Self.nf))
        do {
            _ = try KeyNet(data: data.prefix(data.count - 100))
            Issue.record("a file 100 bytes short loaded")
        } catch {
            guard case let .offsetsOutOfRange(_, _, end, dataBytes) = error else {
                Issue.record("expected offsetsOutOfRange, got \(error)")
                return
            }
            #expect(end > dataBytes)
            #expect(error.description.contains("expected within the \(dataBytes)-byte data section"))
        }
        Self.expectRejection(data.prefix(5), .truncated(fileBytes: 5, minimum: 8), ["5 bytes, expected at least 8"])
    }

    @Test func headerLongerThanFile() {
        let data = safetensorsData(Self.tensors(), metadata: keynetMetadata(nf: Self.nf), headerLength: 1 << 40)
        Self.expectRejection(data, .headerLengthOutOfRange(headerBytes: 1 << 40, available: data.count - 8),
                             ["header length 1099511627776 bytes, expected at most \(data.count - 8)"])
    }

    @Test func invalidJSONHeader() {
        func file(header: String) -> Data {
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            return data + Data(header.utf8)
        }
        #expect {
            try KeyNet(data: file(header: "{oops"))
        } throws: { error in
            (error as? ModelError)?.description.hasPrefix("invalid safetensors header: not JSON") == true
        }
        Self.expectRejection(file(header: "[1, 2]"), .invalidHeader(reason: "not a JSON object"), ["not a JSON object"])
        Self.expectRejection(file(header: #"{"conv1.conv.weight": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 0]}}"#),
                             .invalidTensorEntry(tensor: "conv1.conv.weight", reason: "shape [2, -1], expected an array of non-negative integers"),
                             ["shape [2, -1], expected"])
    }

    @Test func offsetsOutOfRange() {
        let data = Self.modified {
            let i = Self.index($0, "conv1.bn.bias")
            $0[i].offsets = [1_000_000, 1_000_008]
        }
        Self.expectRejection(data, .offsetsOutOfRange(tensor: "conv1.bn.bias", begin: 1_000_000, end: 1_000_008,
                                                      dataBytes: Self.tensors().reduce(0) { $0 + $1.bytes.count } ),
                             ["conv1.bn.bias: data_offsets [1000000, 1000008], expected within"])
    }

    @Test func overlappingOffsets() {
        let data = Self.modified {
            // conv1.conv.weight is first at [0, 200); put conv1.bn.weight (8 bytes) inside it.
            $0[Self.index($0, "conv1.bn.weight")].offsets = [192, 200]
        }
        Self.expectRejection(data, .overlappingTensors(first: "conv1.conv.weight", firstOffsets: [0, 200],
                                                       second: "conv1.bn.weight", secondOffsets: [192, 200]),
                             ["conv1.bn.weight: data_offsets [192, 200] overlap conv1.conv.weight [0, 200], expected disjoint"])
    }

    @Test func byteCountDisagreesWithShape() {
        let data = Self.modified { $0[Self.index($0, "conv2.bn.weight")].shape = [3] }
        Self.expectRejection(data, .wrongByteCount(tensor: "conv2.bn.weight", got: 8, expected: 12),
                             ["conv2.bn.weight: data_offsets span 8 bytes, expected 12"])
    }

    // MARK: metadata

    static func withMetadata(_ change: (inout [String: String]) -> Void) -> Data {
        var metadata = keynetMetadata(nf: nf)
        change(&metadata)
        return safetensorsData(tensors(), metadata: metadata)
    }

    @Test func missingMetadata() {
        Self.expectRejection(safetensorsData(Self.tensors(), metadata: nil),
                             .missingMetadata(key: "__metadata__", expected: "format, format_version, classes, nf"),
                             ["no \"__metadata__\", expected format"])
        Self.expectRejection(Self.withMetadata { $0["nf"] = nil }, .missingMetadata(key: "nf", expected: "a positive integer"),
                             ["no \"nf\", expected a positive integer"])
    }

    @Test func wrongFormat() {
        Self.expectRejection(Self.withMetadata { $0["format"] = "pt" },
                             .invalidMetadata(key: "format", got: "pt", expected: "\"keyscan-keynet\""),
                             ["metadata format: \"pt\", expected \"keyscan-keynet\""])
    }

    @Test func unsupportedFormatVersion() {
        Self.expectRejection(Self.withMetadata { $0["format_version"] = "2" },
                             .unsupportedFormatVersion(got: "2", supported: ["1"]),
                             ["format_version: \"2\", supported: 1"])
    }

    @Test func classesMustBeCamelotOrder() {
        let pitchOrder = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
        let keys = pitchOrder.map { "\($0) major" } + pitchOrder.map { "\($0) minor" }
        let data = Self.withMetadata { $0["classes"] = keys.joined(separator: ",") }
        do {
            _ = try KeyNet(data: data)
            Issue.record("loaded with classes in pitch order")
        } catch {
            #expect(error.description.hasPrefix("metadata classes: \"C major,"))
            #expect(error.description.contains("expected \"1A,2A,3A,4A,5A,6A,7A,8A,9A,10A,11A,12A,1B,"))
        }
        // Same names, wrong order.
        let swapped = ["1B"] + KeyNetConfig.classes.filter { $0 != "1B" }
        #expect(throws: ModelError.self) { try KeyNet(data: Self.withMetadata { $0["classes"] = swapped.joined(separator: ",") }) }
    }

    @Test func calibrationTemperature() throws {
        #expect(try Self.load(Self.tensors()).config.temperature == 1)
        let calibrated = try KeyNet(data: Self.withMetadata { $0["temperature"] = "1.75" })
        #expect(calibrated.config.temperature == 1.75)
        for bad in ["0", "-1", "abc", "nan", "inf", "25"] {
            Self.expectRejection(Self.withMetadata { $0["temperature"] = bad },
                                 .invalidMetadata(key: "temperature", got: bad, expected: "a number from 0.05 to 20"),
                                 ["metadata temperature: \"\(bad)\", expected a number from 0.05 to 20"])
        }
    }

    @Test func timelineSwitchPenalty() throws {
        #expect(try Self.load(Self.tensors()).config.timelineSwitchPenalty == nil)
        let tuned = try KeyNet(data: Self.withMetadata { $0["timeline_switch_penalty"] = "96" })
        #expect(tuned.config.timelineSwitchPenalty == 96)
        for bad in ["-1", "abc", "nan", "inf", "20000"] {
            Self.expectRejection(Self.withMetadata { $0["timeline_switch_penalty"] = bad },
                                 .invalidMetadata(key: "timeline_switch_penalty", got: bad, expected: "a number from 0 to 10000"),
                                 ["metadata timeline_switch_penalty: \"\(bad)\", expected a number from 0 to 10000"])
        }
    }

    @Test func widthMustBePositiveInteger() {
        for bad in ["abc", "0", "-4", "2.5"] {
            Self.expectRejection(Self.withMetadata { $0["nf"] = bad },
                                 .invalidMetadata(key: "nf", got: bad, expected: "a positive integer"),
                                 ["metadata nf: \"\(bad)\", expected a positive integer"])
        }
        // Wider than any real model; Int.max would overflow the layer shapes (8·nf).
        for huge in ["1025", String(Int.max)] {
            Self.expectRejection(Self.withMetadata { $0["nf"] = huge },
                                 .invalidMetadata(key: "nf", got: huge, expected: "at most \(KeyNetConfig.maximumWidth)"),
                                 ["metadata nf: \"\(huge)\", expected at most 1024"])
        }
    }

    @Test func unreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/keynet.safetensors")
        #expect {
            try KeyNet(contentsOf: url)
        } throws: { error in
            (error as? ModelError)?.description.hasPrefix("/nonexistent/keynet.safetensors: cannot read weights") == true
        }
    }
}
