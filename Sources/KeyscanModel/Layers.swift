// The network's kernels: output argument first, plain pointers, no allocation.
// Activations are (C, H, W) row-major planes: H the frequency axis, W the time axis.

/// cols(Cin·k·k, rows·W) ← the k×k patches of `input`(Cin, H, W) for output rows `rows`,
/// zero outside the plane ('same' padding). Row (c, ky, kx) of `cols` is the input plane
/// shifted by (ky − k/2, kx − k/2), so it is built from one contiguous copy per image row.
func im2col(
    _ cols: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
    channels: Int, height: Int, width: Int, kernel: Int, rows: Range<Int>
) {
    let pad = kernel / 2
    var dst = cols
    for c in 0..<channels {
        let plane = input + c * height * width
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                let dx = kx - pad
                let x0 = max(0, -dx), x1 = min(width, width - dx)   // x with 0 <= x+dx < W
                for h in rows {
                    let source = h + ky - pad
                    if source < 0 || source >= height || x1 <= x0 {
                        dst.update(repeating: 0, count: width)
                    } else {
                        if x0 > 0 { dst.update(repeating: 0, count: x0) }
                        (dst + x0).update(from: plane + source * width + x0 + dx, count: x1 - x0)
                        if x1 < width { (dst + x1).update(repeating: 0, count: width - x1) }
                    }
                    dst += width
                }
            }
        }
    }
}

/// out(Cout, H, W) ← ELU(conv(input(Cin, H, W)) + bias), 'same' zero padding.
///
/// The im2col matrix of the whole plane would be Cin·k·k × H·W (1.4 GB for conv2 on a
/// one-hour track untiled), so it is built for bands of output rows that fit in `cols`
/// (`colsCapacity` floats, at least Cin·k·k·W), one matrix product per band, with bias and
/// ELU applied while the band is still in cache. A 1×1 convolution multiplies the input
/// directly.
func convolution(
    _ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ layer: FoldedConv,
    height: Int, width: Int, cols: UnsafeMutablePointer<Float>, colsCapacity: Int
) {
    let shape = layer.shape
    let plane = height * width
    let patch = shape.patchSize
    layer.weight.withUnsafeBufferPointer { weight in
        layer.bias.withUnsafeBufferPointer { bias in
            if shape.kernel == 1 {
                convolutionProduct(out, outStride: plane, weight: weight.baseAddress!, cols: input, colsStride: plane,
                                   outChannels: shape.outChannels, patchSize: patch, columns: plane)
                biasELU(out, rowStride: plane, bias: bias.baseAddress!, channels: shape.outChannels, count: plane)
                return
            }
            precondition(patch * width <= colsCapacity, "im2col buffer of \(colsCapacity) floats < one row (\(patch * width))")
            let bandRows = min(height, colsCapacity / (patch * width))
            var start = 0
            while start < height {
                let rows = start..<min(height, start + bandRows)
                let columns = rows.count * width
                im2col(cols, input, channels: shape.inChannels, height: height, width: width, kernel: shape.kernel, rows: rows)
                convolutionProduct(out + start * width, outStride: plane, weight: weight.baseAddress!, cols: cols,
                                   colsStride: columns, outChannels: shape.outChannels, patchSize: patch, columns: columns)
                biasELU(out + start * width, rowStride: plane, bias: bias.baseAddress!,
                        channels: shape.outChannels, count: columns)
                start = rows.upperBound
            }
        }
    }
}

/// x ← ELU(x + bias[c]) for `count` values of each of `channels` rows `rowStride` apart.
/// ELU(v) = v for v > 0, e^v − 1 otherwise (α = 1). Sixteen lanes at a time: with libm's
/// expm1 (≈ 10 ns a value) this was a third of the forward pass; this is ≈ 1 ns.
func biasELU(_ x: UnsafeMutablePointer<Float>, rowStride: Int, bias: UnsafePointer<Float>, channels: Int, count: Int) {
    for c in 0..<channels {
        let row = UnsafeMutableRawPointer(x + c * rowStride)
        let b = SIMD16<Float>(repeating: bias[c])
        var i = 0
        while i + 16 <= count {
            let v = row.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) + b
            row.storeBytes(of: elu(v), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {   // the last < 16 values, through the same arithmetic
            let tail = x + c * rowStride + i
            var v = b
            for lane in 0..<(count - i) { v[lane] += tail[lane] }
            let y = elu(v)
            for lane in 0..<(count - i) { tail[lane] = y[lane] }
        }
    }
}

/// ELU of 16 values. For v ≤ 0, e^v − 1 = 2^n·(e^r − 1) + (2^n − 1) with v = n·ln 2 + r,
/// |r| ≤ ln 2 / 2 and e^r − 1 from its Taylor series to r⁷ (truncation < 6e-9): within a
/// few float ulps of libm, exact in sign, −1 below v ≈ −17.
@inline(__always)
func elu(_ v: SIMD16<Float>) -> SIMD16<Float> {
    // Masked replacement, not clamped()/pointwiseMin() (per-lane compares), and explicit
    // SIMD16<Float> literals: inferred ones made this 20× slower (Swift 6.3, -O).
    var x = v.replacing(with: 0, where: v .> SIMD16<Float>(repeating: 0))
    x.replace(with: -87, where: x .< SIMD16<Float>(repeating: -87))
    // n = round(x / ln 2) by the 1.5·2²³ trick; its integer is in the low mantissa bits.
    let shifter = SIMD16<Float>(repeating: 12_582_912)
    let shifted = x * SIMD16<Float>(repeating: 1.442_695_04) + shifter
    let n = shifted - shifter
    let r = x - n * SIMD16<Float>(repeating: 0.693_145_75) - n * SIMD16<Float>(repeating: 1.428_606_8e-6)   // ln 2 in two parts
    var p = SIMD16<Float>(repeating: 1.0 / 5040)
    p = p * r + SIMD16<Float>(repeating: 1.0 / 720)
    p = p * r + SIMD16<Float>(repeating: 1.0 / 120)
    p = p * r + SIMD16<Float>(repeating: 1.0 / 24)
    p = p * r + SIMD16<Float>(repeating: 1.0 / 6)
    p = p * r + SIMD16<Float>(repeating: 0.5)
    p = p * r * r + r                                      // e^r − 1
    let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(shifter, to: SIMD16<Int32>.self)
        &+ SIMD16<Int32>(repeating: 127)) &<< SIMD16<Int32>(repeating: 23)
    let scale = unsafeBitCast(exponent, to: SIMD16<Float>.self)   // 2^n
    let negative = scale * p + (scale - SIMD16<Float>(repeating: 1))
    return v.replacing(with: negative, where: v .<= SIMD16<Float>(repeating: 0))
}

/// out(C, H/2, W/2) ← 2×2 max pool, stride 2, of input(C, H, W); an odd last row or
/// column is dropped (floor), as PyTorch's MaxPool2d(2).
func maxPool2x2(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int) {
    let outHeight = height / 2, outWidth = width / 2
    for c in 0..<channels {
        for i in 0..<outHeight {
            let top = input + (c * height + 2 * i) * width
            let bottom = top + width
            let row = out + (c * outHeight + i) * outWidth
            for j in 0..<outWidth {
                row[j] = max(max(top[2 * j], top[2 * j + 1]), max(bottom[2 * j], bottom[2 * j + 1]))
            }
        }
    }
}

/// sums(C) ← Σ over all H rows and the given columns of x(C, H, W), in double precision;
/// and, if given, means(columns, C) ← each column's mean over the H rows (the column's
/// logits: the global logits are their mean). The totals are summed exactly as before
/// the column means existed, so the global logits stay bit-identical.
func sumColumns(_ sums: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Float>,
                channels: Int, height: Int, width: Int, columns: Range<Int>,
                columnMeans means: UnsafeMutablePointer<Float>? = nil) {
    for c in 0..<channels {
        var total = 0.0
        for h in 0..<height {
            let row = x + (c * height + h) * width
            for j in columns { total += Double(row[j]) }
        }
        sums[c] = total
    }
    guard let means else { return }
    for (n, j) in columns.enumerated() {
        for c in 0..<channels {
            var column = 0.0
            for h in 0..<height { column += Double(x[(c * height + h) * width + j]) }
            means[n * channels + c] = Float(column / Double(height))
        }
    }
}
