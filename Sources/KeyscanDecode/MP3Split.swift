/// Whether, and within what limits, `AudioDecoder` decodes one MP3 on two threads on the fast
/// path (`MP3Decoding.libmpg123`): the file's packets are read ahead, a second libmpg123
/// handle decodes the later half on a thread of its own while the caller's thread decodes the
/// first, and the samples come out as the one sequential decoder's, bit for bit
/// (`MP3LaterRange` says why). For a file alone on an idle machine: a caller whose every
/// core already decodes a file of its own gains nothing, and keeps `.off`.
public struct MP3Split: Sendable, Equatable {
    /// Threads one file's decoding may use; below 2, it is decoded in order on the caller's thread.
    public var threads: Int
    /// Fewest packets (MP3 frames) of a file that is split: 512 are 13 s at 44.1 kHz, where
    /// the second handle's priming and thread would be a large share of what they save.
    public var minimumPackets: Int
    /// Largest file read ahead, in bytes (its size as FFmpeg reports it): the packets of the
    /// whole file are held in memory while it decodes. 64 MiB are 35 minutes at 256 kb/s.
    public var maximumFileBytes: Int
    /// Most samples the later range holds decoded before the caller takes them; its thread
    /// waits beyond that. 8 Mi samples (32 MiB of Float32) are 12.7 minutes at 11.025 kHz:
    /// the later half of a file up to 25 minutes is decoded without waiting.
    public var maximumBufferedSamples: Int

    public init(threads: Int, minimumPackets: Int = 512, maximumFileBytes: Int = 64 << 20,
                maximumBufferedSamples: Int = 8 << 20) {
        self.threads = threads
        self.minimumPackets = minimumPackets
        self.maximumFileBytes = maximumFileBytes
        self.maximumBufferedSamples = maximumBufferedSamples
    }

    /// Decoded in order on the caller's thread, as every file was before.
    public static let off = MP3Split(threads: 1)

    var isEnabled: Bool { threads >= 2 }
}

/// How an MP3 on the fast path was decoded (`AudioDecoder.mp3Split`): for tests and the profile.
public enum MP3SplitOutcome: Sendable, Equatable {
    /// In order on one thread: splitting was off, or the file too short, too large, at a
    /// rate libmpg123 resamples to (its N-to-M synthesis carries a phase from the start), or
    /// not read to its end ahead.
    case sequential
    /// Packets `0..<packet` on the caller's thread, the rest on a second thread whose handle
    /// first decoded `priming` packets before `packet` and dropped their samples.
    case split(packet: Int, priming: Int)
    /// As `split`, but from packet `resumed` on the caller's thread decoded in order again:
    /// something irregular (an error, a damaged or missing frame, a restart) in either range
    /// made the second handle's samples from there on not certainly the sequential decoder's.
    case splitThenSequential(packet: Int, priming: Int, resumed: Int)
}
