import Foundation

/// A parsed, structurally validated safetensors file (https://github.com/huggingface/safetensors):
/// 8-byte little-endian header length N, N bytes of JSON, then the data section.
///
/// Checks here are model-independent: the header fits in the file, every entry has a
/// known dtype, a shape of non-negative integers and `data_offsets` inside the data section
/// spanning exactly dtype size × element count bytes, and no two tensors overlap.
/// KeyNet-specific names, dtypes and shapes are checked by `KeyNetWeights`.
struct SafetensorsFile {
    struct Tensor: Equatable {
        let name: String
        let dtype: String
        let shape: [Int]
        /// Byte offsets relative to the data section, as written in the header.
        let offsets: Range<Int>
    }

    /// Bytes per element of every dtype the format defines.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// `__metadata__`, or nil when the file has none.
    let metadata: [String: String]?
    /// Every tensor, by name.
    let tensors: [String: Tensor]
    private let bytes: Data
    /// Index in `bytes` where the data section starts (8 + header length).
    private let dataStart: Int

    init(_ bytes: Data) throws(ModelError) {
        let bytes = bytes.startIndex == 0 ? bytes : Data(bytes)
        guard bytes.count >= 8 else { throw .truncated(fileBytes: bytes.count, minimum: 8) }
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .headerLengthOutOfRange(headerBytes: headerLength, available: bytes.count - 8)
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<dataStart))
        } catch {
            throw .invalidHeader(reason: "not JSON (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else { throw .invalidHeader(reason: "not a JSON object") }

        var metadata: [String: String]?
        var tensors: [String: Tensor] = [:]
        let dataBytes = bytes.count - dataStart
        for (name, value) in header {
            if name == "__metadata__" {
                guard let dict = value as? [String: String] else {
                    throw .invalidHeader(reason: "__metadata__ is not an object of strings")
                }
                metadata = dict
                continue
            }
            let tensor = try Self.parseEntry(name: name, value)
            guard tensor.offsets.upperBound <= dataBytes else {
                throw .offsetsOutOfRange(tensor: name, begin: tensor.offsets.lowerBound,
                                         end: tensor.offsets.upperBound, dataBytes: dataBytes)
            }
            tensors[name] = tensor
        }

        let byStart = tensors.values.sorted { ($0.offsets.lowerBound, $0.name) < ($1.offsets.lowerBound, $1.name) }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.offsets.lowerBound < a.offsets.upperBound && !b.offsets.isEmpty {
            throw .overlappingTensors(first: a.name, firstOffsets: [a.offsets.lowerBound, a.offsets.upperBound],
                                      second: b.name, secondOffsets: [b.offsets.lowerBound, b.offsets.upperBound])
        }

        self.metadata = metadata
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = dataStart
    }

    private static func parseEntry(name: String, _ value: Any) throws(ModelError) -> Tensor {
        guard let entry = value as? [String: Any] else {
            throw .invalidTensorEntry(tensor: name, reason: "not an object")
        }
        guard let dtype = entry["dtype"] as? String else {
            throw .invalidTensorEntry(tensor: name, reason: "no dtype string")
        }
        guard let elementSize = dtypeSizes[dtype] else {
            throw .invalidTensorEntry(tensor: name, reason: "dtype \(dtype), expected one of \(dtypeSizes.keys.sorted().joined(separator: " "))")
        }
        guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidTensorEntry(tensor: name, reason: "shape \(entry["shape"] ?? "missing"), expected an array of non-negative integers")
        }
        guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
              offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw .invalidTensorEntry(tensor: name, reason: "data_offsets \(entry["data_offsets"] ?? "missing"), expected [begin, end] with 0 <= begin <= end")
        }
        let (elements, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let expectedBytes = elements.multipliedReportingOverflow(by: elementSize)
        guard !overflow, !expectedBytes.overflow else {
            throw .invalidTensorEntry(tensor: name, reason: "shape \(shape) too large")
        }
        guard offsets[1] - offsets[0] == expectedBytes.partialValue else {
            throw .wrongByteCount(tensor: name, got: offsets[1] - offsets[0], expected: expectedBytes.partialValue)
        }
        return Tensor(name: name, dtype: dtype, shape: shape, offsets: offsets[0]..<offsets[1])
    }

    /// The values of an F32 tensor (little-endian in the file).
    func floats(_ tensor: Tensor) -> [Float] {
        precondition(tensor.dtype == "F32", "\(tensor.name): floats() needs F32, got \(tensor.dtype)")
        let count = tensor.offsets.count / 4
        return bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart + tensor.offsets.lowerBound
            return (0..<count).map { i in
                Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }
}
