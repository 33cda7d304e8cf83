import Foundation

/// An in-place radix-2 complex FFT in double precision, used only to build kernels once
/// per configuration (the per-frame transform is a matrix product; see `ConstantQ`).
struct FFT {
    let size: Int
    private let cosines: [Double]  // (size/2): cos(2πk/size)
    private let sines: [Double]    // (size/2): sin(2πk/size)
    private let swaps: [(Int, Int)]  // bit-reversal pairs (i, j), i < j

    init(size: Int) {
        precondition(size > 1 && size & (size - 1) == 0, "FFT size \(size) is not a power of two")
        self.size = size
        cosines = (0..<size / 2).map { cos(2 * Double.pi * Double($0) / Double(size)) }
        sines = (0..<size / 2).map { sin(2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        swaps = (0..<size).compactMap { i in
            let j = Int(UInt(i).bitReverse() >> UInt(UInt.bitWidth - bits))
            return j > i ? (i, j) : nil
        }
    }

    /// X[k] = Σₙ x[n]·e^(−2πikn/N), in place.
    func forward(real: inout [Double], imag: inout [Double]) {
        precondition(real.count == size && imag.count == size)
        real.withUnsafeMutableBufferPointer { re in
            imag.withUnsafeMutableBufferPointer { im in
                cosines.withUnsafeBufferPointer { cosines in
                    sines.withUnsafeBufferPointer { sines in
                        forward(re.baseAddress!, im.baseAddress!, cosines.baseAddress!, sines.baseAddress!)
                    }
                }
            }
        }
    }

    private func forward(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                         _ cosines: UnsafePointer<Double>, _ sines: UnsafePointer<Double>) {
        for (i, j) in swaps {
            swap(&re[i], &re[j])
            swap(&im[i], &im[j])
        }
        var half = 1
        while half < size {
            let step = size / (2 * half)
            for k in 0..<half {
                let c = cosines[k * step], s = -sines[k * step]
                var a = k
                while a < size {
                    let b = a + half
                    let tr = re[b] * c - im[b] * s
                    let ti = re[b] * s + im[b] * c
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                    a += 2 * half
                }
            }
            half *= 2
        }
    }
}

private extension UInt {
    func bitReverse() -> UInt {
        var v = self, r: UInt = 0
        for _ in 0..<UInt.bitWidth { r = (r << 1) | (v & 1); v >>= 1 }
        return r
    }
}
