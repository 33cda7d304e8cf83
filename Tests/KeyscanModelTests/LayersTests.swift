import Foundation
@testable import KeyscanModel
import KeyscanTestSupport
import Testing

/// The im2col + sgemm convolution and the pooling against direct loops.
@Suite struct LayersTests {
    init() { setBLASThreadCount(1) }

    /// The reference: direct 'same' convolution, bias and ELU, in double precision.
    static func naiveConvolution(_ input: [Float], channels: Int, height: Int, width: Int,
                                 weight: [Float], bias: [Float], outChannels: Int, kernel: Int) -> [Float] {
        let pad = kernel / 2
        var out = [Float](repeating: 0, count: outChannels * height * width)
        for o in 0..<outChannels {
            for y in 0..<height {
                for x in 0..<width {
                    var total = Double(bias[o])
                    for c in 0..<channels {
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let sy = y + ky - pad, sx = x + kx - pad
                                guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                                total += Double(weight[((o * channels + c) * kernel + ky) * kernel + kx])
                                    * Double(input[(c * height + sy) * width + sx])
                            }
                        }
                    }
                    out[(o * height + y) * width + x] = Float(total > 0 ? total : expm1(total))
                }
            }
        }
        return out
    }

    /// (Cin, Cout, k, H, W, im2col buffer in image rows: 1 forces one band per row).
    static let cases: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 4, 5, 11, 9, 100),   // conv1-like 5×5 from one channel, all rows in one band
        (3, 5, 3, 7, 13, 1),     // 3×3, one band per output row
        (4, 6, 3, 9, 10, 4),     // 3×3, bands of 4 rows, the last one short
        (5, 24, 1, 6, 7, 1),     // 1×1 classifier (multiplies the input directly)
        (2, 3, 5, 3, 2, 2),      // kernel wider than the plane: every patch mostly padding
        (2, 2, 3, 1, 1, 1),      // a single pixel
    ]

    @Test(arguments: cases)
    func convolutionMatchesDirectLoops(_ c: (Int, Int, Int, Int, Int, Int)) {
        let (cin, cout, k, height, width, bandRows) = c
        var rng = SeededGenerator(seed: UInt64(cin * 1000 + cout * 100 + k * 10 + height))
        let shape = ConvLayerShape(name: "test", inChannels: cin, outChannels: cout, kernel: k, poolAfter: false)
        let layer = FoldedConv(shape: shape, weight: rng.floats(cout * shape.patchSize, in: -1...1),
                               bias: rng.floats(cout, in: -1...1))
        let input = rng.floats(cin * height * width, in: -2...2)
        let expected = Self.naiveConvolution(input, channels: cin, height: height, width: width,
                                             weight: layer.weight, bias: layer.bias, outChannels: cout, kernel: k)

        let colsCapacity = shape.patchSize * width * bandRows
        var cols = [Float](repeating: .nan, count: colsCapacity)
        var out = [Float](repeating: .nan, count: cout * height * width)
        input.withUnsafeBufferPointer { input in
            cols.withUnsafeMutableBufferPointer { cols in
                out.withUnsafeMutableBufferPointer { out in
                    convolution(out.baseAddress!, input.baseAddress!, layer, height: height, width: width,
                                cols: cols.baseAddress!, colsCapacity: colsCapacity)
                }
            }
        }
        // float32 sums of at most 5·25 products of values ≤ 2 against a double reference.
        #expect(maxAbsDifference(out, expected) < 1e-5)
    }

    @Test func maxPoolFloorsOddSizes() {
        let (channels, height, width) = (2, 5, 7)
        var rng = SeededGenerator(seed: 7)
        let input = rng.floats(channels * height * width, in: -1...1)
        var out = [Float](repeating: .nan, count: channels * 2 * 3)
        input.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { out in
                maxPool2x2(out.baseAddress!, input.baseAddress!, channels: channels, height: height, width: width)
            }
        }
        for c in 0..<channels {
            for i in 0..<2 {
                for j in 0..<3 {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { input[(c * height + 2 * i + $0) * width + 2 * j + $1] }
                    #expect(out[(c * 2 + i) * 3 + j] == window.max()!)
                }
            }
        }
    }

    /// The vectorised ELU against double-precision expm1, over the range activations take,
    /// including the scalar tail (1007 values = 62 vectors + 15).
    @Test func eluMatchesDefinition() {
        let sweep: [Float] = (0..<1007).map { (i: Int) -> Float in Float(-40.0 + 45.0 * Double(i) / 1006.0) }
        let inputs: [Float] = sweep + [-1e-4, 0, 1e-4, -Float.infinity, -1e30]
        var x = inputs
        let bias: [Float] = [0.25]
        x.withUnsafeMutableBufferPointer { biasELU($0.baseAddress!, rowStride: inputs.count, bias: bias, channels: 1, count: inputs.count) }
        var worst: Double = 0
        for (input, output) in zip(inputs, x) {
            let v = Double(input + 0.25)
            let expected = v > 0 ? v : expm1(v)
            // within 2 float ulps of the true value (ulp of max(|y|, 2^-10) for y near 0)
            let ulp = Double(Float(max(abs(expected), 1.0 / 1024)).ulp)
            worst = max(worst, abs(Double(output) - expected) / ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(x[x.count - 2] == -1 && x[x.count - 1] == -1)
    }
}
