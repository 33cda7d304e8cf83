/// Everything that can go wrong loading KeyNet weights or running the network.
///
/// Each case carries what was found and what was expected, so the message alone says how
/// to fix the file (whisper.cpp style: wrong name, wrong shape, not all tensors loaded).
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The weights file could not be read at all.
    case unreadable(path: String, reason: String)
    /// The file is shorter than the 8-byte header-length field.
    case truncated(fileBytes: Int, minimum: Int)
    /// The header-length field says more bytes than the file has after it.
    case headerLengthOutOfRange(headerBytes: UInt64, available: Int)
    /// The JSON header is not valid JSON, or not an object.
    case invalidHeader(reason: String)
    /// A tensor entry is malformed (missing dtype, negative dimension, …).
    case invalidTensorEntry(tensor: String, reason: String)
    /// A tensor's data_offsets reach outside the data section (truncated file, bad writer).
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataBytes: Int)
    /// Two tensors claim overlapping bytes.
    case overlappingTensors(first: String, firstOffsets: [Int], second: String, secondOffsets: [Int])
    /// data_offsets span a different number of bytes than dtype × shape needs.
    case wrongByteCount(tensor: String, got: Int, expected: Int)
    /// `__metadata__` lacks a required key.
    case missingMetadata(key: String, expected: String)
    /// A metadata value is not the one this engine understands.
    case invalidMetadata(key: String, got: String, expected: String)
    /// `format_version` is not one this engine reads.
    case unsupportedFormatVersion(got: String, supported: [String])
    /// A tensor that is not part of a KeyNet.
    case unknownTensor(name: String)
    /// KeyNet tensors absent from the file.
    case missingTensors(names: [String])
    case wrongDType(tensor: String, got: String, expected: String)
    case wrongShape(tensor: String, got: [Int], expected: [Int])
    /// A weight that cannot be used: NaN, infinity, negative variance.
    case invalidValue(tensor: String, index: Int, value: Float, reason: String)
    /// The spectrogram has a different number of frequency bins than the network was built for.
    case wrongBinCount(got: Int, expected: Int)
    /// Fewer frames than the three 2× poolings need to leave one output column.
    case inputTooShort(frames: Int, minimum: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read weights (\(reason))"
        case let .truncated(fileBytes, minimum):
            return "truncated file: \(fileBytes) bytes, expected at least \(minimum) (the header length field)"
        case let .headerLengthOutOfRange(headerBytes, available):
            return "header length \(headerBytes) bytes, expected at most \(available) (the bytes after the length field; file truncated?)"
        case let .invalidHeader(reason):
            return "invalid safetensors header: \(reason)"
        case let .invalidTensorEntry(tensor, reason):
            return "\(tensor): invalid header entry: \(reason)"
        case let .offsetsOutOfRange(tensor, begin, end, dataBytes):
            return "\(tensor): data_offsets [\(begin), \(end)], expected within the \(dataBytes)-byte data section (file truncated?)"
        case let .overlappingTensors(first, firstOffsets, second, secondOffsets):
            return "\(second): data_offsets \(secondOffsets) overlap \(first) \(firstOffsets), expected disjoint tensors"
        case let .wrongByteCount(tensor, got, expected):
            return "\(tensor): data_offsets span \(got) bytes, expected \(expected) (dtype size × shape)"
        case let .missingMetadata(key, expected):
            return "metadata: no \"\(key)\", expected \(expected)"
        case let .invalidMetadata(key, got, expected):
            return "metadata \(key): \"\(got)\", expected \(expected)"
        case let .unsupportedFormatVersion(got, supported):
            return "metadata format_version: \"\(got)\", supported: \(supported.joined(separator: ", "))"
        case let .unknownTensor(name):
            return "unknown tensor \"\(name)\", expected only conv1 … conv9 .conv.weight and .bn.{weight,bias,running_mean,running_var,num_batches_tracked}"
        case let .missingTensors(names):
            return "not all tensors present: missing \(names.joined(separator: ", "))"
        case let .wrongDType(tensor, got, expected):
            return "\(tensor): dtype \(got), expected \(expected)"
        case let .wrongShape(tensor, got, expected):
            return "\(tensor): shape \(got), expected \(expected)"
        case let .invalidValue(tensor, index, value, reason):
            return "\(tensor): value \(value) at index \(index), expected \(reason)"
        case let .wrongBinCount(got, expected):
            return "spectrogram has \(got) frequency bins, expected \(expected)"
        case let .inputTooShort(frames, minimum):
            return "spectrogram has \(frames) frames, expected at least \(minimum) (three 2× poolings)"
        }
    }
}
