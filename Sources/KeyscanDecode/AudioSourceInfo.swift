/// What the decoder found in the file, before downmixing and resampling.
public struct AudioSourceInfo: Sendable, Equatable {
    /// FFmpeg's demuxer name, as ffprobe reports it: "mp3", "flac", "mov,mp4,m4a,3gp,3g2,mj2".
    public let container: String
    /// FFmpeg's codec name: "mp3", "aac", "alac", "pcm_s16le".
    public let codec: String
    /// The stream's sample rate in Hz.
    public let sampleRate: Int
    public let channels: Int
    /// Duration in seconds as the stream (else the container) states it; nil if neither does.
    /// An estimate: the decoded length is what counts.
    public let duration: Double?
    /// The library that decodes the file.
    public let library: DecoderLibrary

    public init(container: String, codec: String, sampleRate: Int, channels: Int, duration: Double?,
                library: DecoderLibrary = .ffmpeg) {
        self.container = container
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.duration = duration
        self.library = library
    }
}

/// The libraries `AudioDecoder` decodes with.
public enum DecoderLibrary: String, Sendable, Equatable {
    /// Everything FFmpeg reads: the usual path.
    case ffmpeg
    /// Ogg Vorbis that FFmpeg cannot read (see `OggVorbisDecoding`).
    case libvorbisfile
    /// MP3 on the fast path (see `MP3Decoding`), packets read by FFmpeg's demuxer.
    case libmpg123
}
