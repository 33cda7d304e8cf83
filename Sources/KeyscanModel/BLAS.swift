import COpenBLAS

// The only file that sees OpenBLAS: no cblas type leaves it.

/// Sets how many threads OpenBLAS may use inside one matrix product (process-wide).
///
/// keyscan runs one BLAS thread and parallelises over tracks and time tiles itself
/// (`KeyNet.logits(for:workspaces:)`); call this once at start-up, before any forward.
public func setBLASThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(clamping: max(1, count)))
}

/// OpenBLAS as loaded at run time: its build configuration (version, DYNAMIC_ARCH…) and the
/// kernel set it chose for this processor.
public var blasLibraryDescription: String {
    let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS (unknown version)"
    let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    return "\(config) (kernels: \(core))"
}

/// The number of threads OpenBLAS currently uses per call.
public func blasThreadCount() -> Int {
    Int(openblas_get_num_threads())
}

/// The one place the network calls `cblas_sgemm`, for every convolution:
///
///     out(Cout, n) = W(Cout, Cin·k·k) × cols(Cin·k·k, n)
///
/// all row-major; `n` is a band of output pixels (rows·W of the H·W plane). `out` rows are
/// `outStride` floats apart (the full H·W plane), `cols` rows `colsStride` apart (n for an
/// im2col band, H·W when a 1×1 convolution reads the input directly). β = 0: `out` is
/// overwritten.
func convolutionProduct(
    _ out: UnsafeMutablePointer<Float>, outStride: Int,
    weight: UnsafePointer<Float>, cols: UnsafePointer<Float>, colsStride: Int,
    outChannels: Int, patchSize: Int, columns: Int
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans,
        blasint(outChannels), blasint(columns), blasint(patchSize),
        1, weight, blasint(patchSize),
        cols, blasint(colsStride),
        0, out, blasint(outStride))
}
