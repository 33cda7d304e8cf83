import Glibc
import KeyscanCQT

// What the audio fuzzers (decode, decode-mpg123) share: the input written where FFmpeg can
// open it, and the checks on what the decoder and the transform make of it.

/// Writes one input to `path` (a file in /dev/shm, reused for the whole run).
public func writeInput(_ bytes: UnsafeRawBufferPointer, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "open \(path): \(String(cString: strerror(errno)))")
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
        precondition(n > 0, "write \(path): \(String(cString: strerror(errno)))")
        written += n
    }
}

/// What the network relies on: 105 bins, enough frames, and values log(1 + |C|), finite and
/// non-negative (a NaN here would become a NaN confidence in the JSON).
public func checkModelInput(_ spectrogram: Spectrogram) {
    precondition(spectrogram.bins == 105, "spectrogram has \(spectrogram.bins) bins")
    precondition(spectrogram.frames >= 8, "spectrogram has \(spectrogram.frames) frames from ≥ 2 s of audio")
    if let bad = spectrogram.values.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
        preconditionFailure("spectrogram value \(spectrogram.values[bad]) at index \(bad)")
    }
}
