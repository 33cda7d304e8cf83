import KeyscanCQT
import KeyscanDecode
import KeyscanModel

/// How audio becomes the network's input: decoding, the rate the transform runs at, and
/// the transform. Both give KeyNet's 105 bins at 5 frames/s with the same frame centres.
public enum FrontEnd: String, Sendable, CaseIterable {
    /// librosa's numbers, as openkeyscan-analyzer computes them: FFmpeg decodes at the
    /// stream's rate, libswresample mixes to mono and resamples to 44.1 kHz with soxr HQ, and
    /// the transform halves the rate twice with soxr for its lower octaves. The reference's
    /// weights need it; `--exact` asks for it.
    case exact
    /// The transform's lowest needed rate, 11.025 kHz, in one step: MP3 through libmpg123's
    /// mono mix and quarter-rate synthesis (44.1 kHz files; other rates the nearest reduced
    /// rate above, then soxr), every other format FFmpeg → libswresample straight to 11.025 kHz
    /// mono; the transform's upper 33 bins at that rate, its three lower octaves from a 5:1
    /// soxr decimation to 2205 Hz (`CQTConfiguration.keyNetFast`).
    case fast

    /// The transform's parameters.
    public var configuration: CQTConfiguration {
        switch self {
        case .exact: .keyNet
        case .fast: .keyNetFast
        }
    }

    /// Which library decodes MP3 audio.
    public var mp3: MP3Decoding {
        switch self {
        case .exact: .ffmpeg
        case .fast: .libmpg123
        }
    }

    /// The front end a model asks for in its metadata (`front_end`, "exact" or "fast"); exact
    /// when it says nothing: the reference's weights (converted by
    /// tools/training/convert_keynet.py) and every model from before the fast front end were
    /// trained on exact features.
    public static func declared(by config: KeyNetConfig) -> FrontEnd {
        FrontEnd(rawValue: config.frontEnd) ?? .exact
    }
}
