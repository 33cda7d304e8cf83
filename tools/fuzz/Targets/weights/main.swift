import Foundation
import FuzzSupport
import KeyscanCQT
import KeyscanModel

// Arbitrary bytes as a weights file → `KeyNet(data:)`, as `--model` loads one. Every input
// must load or throw a `ModelError`: lying header lengths, offsets out of range or
// overlapping, wrong dtypes or shapes, broken JSON and absurd metadata included. A file
// that loads is run once, so a loader that accepts what the network cannot use shows up
// as a crash here rather than in a user's batch.

/// 16 frames (the fewest for two output columns) of a fixed, non-trivial spectrogram.
let spectrogram = Spectrogram(
    bins: KeyNetConfig.inputBins, frames: 16,
    values: (0..<(KeyNetConfig.inputBins * 16)).map { Float($0 % 7) * 0.25 })

fuzz { bytes in
    guard let model = try? KeyNet(data: Data(bytes)) else { return }
    // Valid metadata and tensors: the forward pass must run and give one logit per key
    // (not necessarily finite: a loadable file may hold absurdly large weights).
    let logits: [Float]
    do { logits = try model.logits(for: spectrogram, workspace: KeyNetWorkspace(for: model)) }
    catch { preconditionFailure("a model that loaded failed on a valid spectrogram: \(error)") }
    precondition(logits.count == KeyNetConfig.classes.count, "\(logits.count) logits")
}
