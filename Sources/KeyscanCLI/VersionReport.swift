import Foundation
import Keyscan
import KeyscanCache
import KeyscanCQT
import KeyscanDecode
import KeyscanModel
import KeyscanTags

/// What `keyscan --version` prints: the version alone, so scripts can compare it and it
/// prints even when no model loads; with `--verbose`, what a bug report needs as well:
/// the default model and the identity results are cached under, and the C libraries as
/// loaded at run time (the keys come from them too: FFmpeg and libmpg123 decode, OpenBLAS
/// multiplies).
enum VersionReport {
    static func lines(verbose: Bool) -> [String] {
        guard verbose else { return [KeyscanVersion.current] }
        return [KeyscanVersion.current, "model: " + modelLine(),
                "ffmpeg: " + DecodingLibraries.ffmpeg,
                "mpg123: " + DecodingLibraries.mpg123,
                "openblas: " + blasLibraryDescription,
                "soxr: " + soxrLibraryVersion,
                "taglib: " + taglibVersion,
                "sqlite: " + ResultCache.sqliteVersion]
    }

    /// The default model's version, file and identity, or why there is none.
    static func modelLine() -> String {
        guard let path = ModelLocator.defaultModel() else { return "none found (--model PATH or KEYSCAN_MODEL)" }
        do {
            let analyzer = try Analyzer(modelPath: path)
            let config = analyzer.model.config
            let version = config.version.isEmpty ? "unversioned" : config.version
            return "\(version) \(path) (\(analyzer.identity))"
        } catch {
            return "\(path) does not load: \(error)"
        }
    }

    /// Whether the arguments ask for the version: nil if not, else whether verbosely.
    /// `--version`, with `--verbose` before or after it and nothing else, is handled before
    /// the argument parser, whose own `--version` takes no other flag.
    static func requested(by arguments: [String]) -> Bool? {
        switch arguments {
        case ["--version"]: false
        case ["--version", "--verbose"], ["--verbose", "--version"]: true
        default: nil
        }
    }
}
