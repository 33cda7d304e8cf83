import CSoxr

/// libsoxr as loaded at run time (`soxr_version`), e.g. "libsoxr-0.1.3".
public var soxrLibraryVersion: String { String(cString: soxr_version()) }

/// Streaming `factor`:1 downsampler: libsoxr with its default HQ recipe, float32 in and
/// out, one thread: what librosa's `resample(res_type="soxr_hq")` and python-soxr's
/// `soxr.resample(y, sr, sr / factor, 'HQ')` create, so the octaves computed from it see
/// their signal (bit for bit, however the input is split).
///
/// Owns the `soxr_t`. Output is not scaled: librosa's `scale=True` factor of √2 per halving,
/// and the decimation's √factor, are folded into the kernels. `finish` makes the total
/// output exactly round(input / factor) samples, halves up: ⌈input / 2⌉ for halvings, as
/// librosa's `fix_length`; for other factors the length soxr itself flushes, as python-soxr.
final class Decimator {
    let factor: Int
    private let soxr: soxr_t
    private var inputCount = 0
    private var outputCount = 0
    private var scratch: [Float] = []

    init(factor: Int) {
        precondition(factor > 1, "Decimator: factor \(factor)")
        self.factor = factor
        var error: soxr_error_t?
        // nil specs: float32 in and out, SOXR_HQ quality, one thread (soxr.h's defaults).
        guard let soxr = soxr_create(Double(factor), 1, 1, &error, nil, nil, nil), error == nil else {
            fatalError("soxr_create failed: \(error.map { String(cString: $0) } ?? "out of memory")")
        }
        self.soxr = soxr
    }

    deinit { soxr_delete(soxr) }

    /// Resamples `input` and appends what soxr releases to `output`.
    func process(_ input: UnsafeBufferPointer<Float>, appendingTo output: inout [Float]) {
        inputCount += input.count
        var consumed = 0
        while consumed < input.count {
            let produced = run(input.baseAddress! + consumed, count: input.count - consumed, consumed: &consumed)
            append(produced, to: &output)
        }
    }

    /// Flushes soxr and pads or trims its tail so the whole output is round(input / factor)
    /// samples. (soxr's delay means nothing past that length is released before the flush.)
    func finish(appendingTo output: inout [Float]) {
        let target = (2 * inputCount + factor) / (2 * factor)
        var tail: [Float] = []
        while true {
            var unused = 0
            let produced = run(nil, count: 0, consumed: &unused)
            if produced == 0 { break }
            tail.append(contentsOf: scratch[0..<produced])
        }
        let keep = max(0, target - outputCount)
        output.append(contentsOf: tail.prefix(keep))
        if tail.count < keep { output.append(contentsOf: repeatElement(0, count: keep - tail.count)) }
        outputCount = target
    }

    private func run(_ input: UnsafePointer<Float>?, count: Int, consumed: inout Int) -> Int {
        let room = max(4096, count / factor + 64)
        if scratch.count < room { scratch = [Float](repeating: 0, count: room) }
        var used = 0, produced = 0
        let error = scratch.withUnsafeMutableBufferPointer { out in
            soxr_process(soxr, input, count, &used, out.baseAddress, room, &produced)
        }
        precondition(error == nil, "soxr_process failed: \(String(cString: error!))")
        consumed += used
        return produced
    }

    private func append(_ produced: Int, to output: inout [Float]) {
        output.append(contentsOf: scratch[0..<produced])
        outputCount += produced
    }
}
