import ArgumentParser
import Keyscan

/// `--exact`, on analyze, serve and features.
struct FrontEndOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Compute the model's input exactly as librosa does (44.1 kHz, FFmpeg for MP3) instead of the fast path (11.025 kHz, libmpg123 for MP3): slower, bit-for-bit features. Weights that declare no front end (the reference's) get it anyway."))
    var exact = false

    /// nil: the one the weights declare (analyze, serve).
    var frontEnd: FrontEnd? { exact ? .exact : nil }
}
