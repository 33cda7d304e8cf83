import CFFmpeg

/// The libraries keyscan decodes with: FFmpeg as loaded at run time (it can differ from the
/// headers keyscan was built against when the system's FFmpeg is upgraded), and libmpg123.
public enum DecodingLibraries {
    /// FFmpeg's release (`av_version_info`) and each library's `major.minor.micro`.
    public static var ffmpeg: String {
        let libraries = [("libavformat", avformat_version()), ("libavcodec", avcodec_version()),
                         ("libavutil", avutil_version()), ("libswresample", swresample_version())]
        let release = av_version_info().map { String(cString: $0) } ?? "unknown"
        return "FFmpeg \(release) (" + libraries.map { "\($0.0) \(dotted($0.1))" }.joined(separator: ", ") + ")"
    }

    /// libmpg123, which decodes MP3 for the fast front end.
    public static var mpg123: String { MPG123Handle.libraryDescription }

    /// FFmpeg packs a version as major << 16 | minor << 8 | micro.
    static func dotted(_ version: UInt32) -> String {
        "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)"
    }
}
