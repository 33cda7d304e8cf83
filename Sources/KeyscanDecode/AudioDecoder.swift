/// Decodes one audio file into mono Float32 at `sampleRate`, block by block, so memory
/// stays flat however long the track is.
///
/// The samples match `librosa.load(path, sr=44100, mono=True)`: channels averaged,
/// soxr HQ resampling, no normalisation (a full-scale 16-bit WAV peaks at ±1.0).
/// Reads anything FFmpeg reads, including the sound of video files, and Ogg Vorbis that
/// FFmpeg cannot read through libvorbisfile (see `OggVorbisDecoding`; `source.library` and
/// a warning say so). Unlike librosa, every sample is finite and within ±`sampleLimit`:
/// what a corrupt float file holds beyond that is silenced or clipped, with a warning.
///
/// One decoder per file, used from one thread.
public final class AudioDecoder {
    /// Samples per block that `nextBlock` aims for: about 1.5 s at 44.1 kHz, 256 KB.
    public static let preferredBlockSize = 65_536

    public let path: String
    /// Output sample rate in Hz.
    public let sampleRate: Int
    public var source: AudioSourceInfo { backend.source }
    /// Largest sample magnitude passed on: +60 dBFS. Real recordings stay within a few dB
    /// of full scale (±1.0), so only a corrupt float file goes beyond it, and values near
    /// Float's range would overflow the transform's sums into infinities and NaNs.
    public static let sampleLimit: Float = 1000

    /// Lowest input sample rate read. No music is stored below it (the transform's top bin
    /// is at 1.3 kHz), and from lower rates libsoxr holds back its whole output until the
    /// end: a 1 KB WAV claiming 1 Hz made 1.6 GB of samples at once.
    public static let minimumSourceRate = 1000

    /// The most of a file's packets that may be corrupt: past half, what decodes is
    /// fragments of a damaged file rather than the track, and a key from it means little.
    public static let maximumCorruptFraction = 0.5
    /// A file that decodes to less than this share of the duration its header declares
    /// gets a warning: it was probably cut short (an interrupted download).
    public static let truncationWarningFraction = 0.9

    /// What decoding got past, e.g. "skipped 3 corrupt packets (…)", and which library
    /// decoded the file when it was not FFmpeg.
    public var warnings: [String] {
        var all = fallbackNote.map { [$0] } ?? []
        all += backend.notes
        if silencedSamples > 0 {
            all.append("replaced \(silencedSamples) NaN or infinite \(silencedSamples == 1 ? "sample" : "samples") with silence")
        }
        if clippedSamples > 0 {
            all.append("clipped \(clippedSamples) \(clippedSamples == 1 ? "sample" : "samples") beyond ±\(Int(Self.sampleLimit))")
        }
        return all
    }
    private var silencedSamples = 0
    private var clippedSamples = 0

    /// Mono samples returned so far, at `sampleRate`.
    public private(set) var sampleCount = 0

    /// Whether libmpg123 decoded the file on two threads (`MP3Split`), and how far; for any
    /// other backend `.sequential`.
    public var mp3SplitOutcome: MP3SplitOutcome { (backend as? MPG123Decoder)?.splitOutcome ?? .sequential }

    private var backend: DecoderBackend
    private let interrupt: Interrupt?
    /// Why FFmpeg did not decode the file, once libvorbisfile does.
    private var ffmpegFailure: DecodeError?
    private var fallbackNote: String?

    /// Opens and probes `path`, picks its best audio stream, opens the decoder and
    /// sets up the resampler. Nothing is decoded until `nextBlock`.
    ///
    /// - Parameters:
    ///   - shouldAbort: polled while reading and decoding; when it returns true, the
    ///     current call throws `.cancelled` (use it for timeouts).
    ///   - oggVorbis: which library decodes Ogg Vorbis; tests force libvorbisfile.
    ///   - mp3: which library decodes MP3 audio: FFmpeg's decoder, or libmpg123 at a reduced
    ///     rate (the fast front end), FFmpeg's decoder taking over if libmpg123 refuses the file.
    ///   - mp3Split: whether libmpg123 may decode the file's later half on a second thread
    ///     (the samples are the same); for a file alone on idle cores.
    public init(path: String, sampleRate: Int = 44100, shouldAbort: (@Sendable () -> Bool)? = nil,
                oggVorbis: OggVorbisDecoding = .ffmpegThenLibvorbisfile, mp3: MP3Decoding = .ffmpeg,
                mp3Split: MP3Split = .off) throws(DecodeError) {
        precondition(sampleRate > 0, "AudioDecoder: sample rate \(sampleRate) Hz")
        try checkReadableFile(path)
        self.path = path
        self.sampleRate = sampleRate
        let interrupt = shouldAbort.map(Interrupt.init)
        self.interrupt = interrupt
        if oggVorbis == .libvorbisfile, OggVorbisSniffer.isOggVorbis(path: path) {
            backend = try VorbisFileDecoder(path: path, sampleRate: sampleRate, interrupt: interrupt)
            fallbackNote = "decoded with libvorbisfile, forced for testing"
            return
        }
        do {
            let (format, stream) = try FFmpegDecoder.open(path: path, interrupt: interrupt)
            if mp3 != .ffmpeg, stream.isMP3, MPG123Handle.rates.contains(sampleRate) {
                do {
                    backend = try MPG123Decoder(path: path, format: format, stream: stream, sampleRate: sampleRate,
                                                bandLimited: mp3 == .libmpg123, interrupt: interrupt, split: mp3Split)
                } catch where error.isDecodingFailure {
                    backend = try FFmpegDecoder(path: path, sampleRate: sampleRate, interrupt: interrupt)
                    noteMPG123Fallback(after: error)
                }
                return
            }
            backend = try FFmpegDecoder(path: path, format: format, stream: stream, sampleRate: sampleRate, interrupt: interrupt)
        } catch {
            guard let fallback = try Self.fallback(after: error, path: path, sampleRate: sampleRate, interrupt: interrupt)
            else { throw error }
            backend = fallback
            noteFallback(after: error)
        }
    }

    /// The next block of mono samples at `sampleRate`: about `preferredBlockSize`
    /// samples (at least that many, except the last block, and at most about twice as
    /// many whatever the file's rate), or nil after the end, once the decoder and the
    /// resampler are flushed.
    public func nextBlock() throws(DecodeError) -> [Float]? {
        var next: [Float]?
        do {
            next = try backend.nextBlock()
        } catch where sampleCount == 0 && backend is MPG123Decoder && error.isDecodingFailure {
            // libmpg123 refused the file before any audio: FFmpeg's decoder reads it from the start.
            do {
                backend = try FFmpegDecoder(path: path, sampleRate: sampleRate, interrupt: interrupt)
                noteMPG123Fallback(after: error)
                next = try backend.nextBlock()
            } catch let second { throw second }
        } catch {
            // FFmpeg opened the file but decoded none of it: libvorbisfile may, if the file
            // is Ogg Vorbis. Once samples are passed on, the stream cannot start again.
            guard sampleCount == 0, ffmpegFailure == nil, backend is FFmpegDecoder,
                  let fallback = try Self.fallback(after: error, path: path, sampleRate: sampleRate, interrupt: interrupt)
            else { throw combined(error) }
            backend = fallback
            noteFallback(after: error)
            do { next = try backend.nextBlock() } catch { throw combined(error) }
        }
        guard var block = next else { return nil }
        confineToLimit(&block)
        sampleCount += block.count
        return block
    }

    /// libvorbisfile's decoder for `path` after FFmpeg failed with `error`, or nil if the
    /// file is not Ogg Vorbis or the failure is not one of decoding (a cancellation, a
    /// read error, a file that is not there). If libvorbisfile cannot open it either, the
    /// error gives both libraries' reasons.
    private static func fallback(after error: DecodeError, path: String, sampleRate: Int,
                                 interrupt: Interrupt?) throws(DecodeError) -> VorbisFileDecoder? {
        guard error.isDecodingFailure, OggVorbisSniffer.isOggVorbis(path: path) else { return nil }
        do { return try VorbisFileDecoder(path: path, sampleRate: sampleRate, interrupt: interrupt) }
        catch let second { throw DecodeError(path: path, ffmpeg: error, libvorbisfile: second) }
    }

    private func noteFallback(after error: DecodeError) {
        ffmpegFailure = error
        let what = if case .notAudio = error { "FFmpeg's Ogg demuxer failed" } else { "FFmpeg failed" }
        fallbackNote = "decoded with libvorbisfile: \(what) (\(error.reason))"
    }

    private func noteMPG123Fallback(after error: DecodeError) {
        fallbackNote = "decoded with FFmpeg: libmpg123 refused the file (\(error.reason))"
    }

    /// A failure of libvorbisfile after FFmpeg's carries both reasons.
    private func combined(_ error: DecodeError) -> DecodeError {
        guard let ffmpegFailure else { return error }
        return DecodeError(path: path, ffmpeg: ffmpegFailure, libvorbisfile: error)
    }

    /// NaN and ±inf become silence, finite samples beyond ±`sampleLimit` are clipped.
    /// After resampling, so what soxr's filter spread from one bad input sample is caught
    /// too; float PCM is passed through by FFmpeg as it is in the file.
    private func confineToLimit(_ block: inout [Float]) {
        let limit = Self.sampleLimit
        block.withUnsafeMutableBufferPointer { samples in
            // Nearly always nothing to do: one comparison per sample (false for NaN).
            guard Self.anyBeyond(limit, in: UnsafeBufferPointer(samples)) else { return }
            for i in samples.indices where !(abs(samples[i]) <= limit) {
                if samples[i].isFinite {
                    clippedSamples += 1
                    samples[i] = samples[i] > 0 ? limit : -limit
                } else {
                    silencedSamples += 1
                    samples[i] = 0
                }
            }
        }
    }
}

extension AudioDecoder {
    /// Whether any of `samples` is NaN, infinite or beyond ±`limit`: 16 lanes at a time, as it
    /// reads every decoded sample (the scalar loop cost 1–2 ms of a 4-minute MP3's 0.3 s).
    static func anyBeyond(_ limit: Float, in samples: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = samples.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        let bound = SIMD16<Float>(repeating: limit)
        var i = 0
        while i + 16 <= samples.count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            // NaN compares false both ways, so it is outside [−limit, limit].
            guard all((v .<= bound) .& (v .>= -bound)) else { return true }
            i += 16
        }
        return samples[i...].contains { !(abs($0) <= limit) }
    }
}

/// Which library decodes Ogg Vorbis.
public enum OggVorbisDecoding: Sendable, Equatable {
    /// FFmpeg, as every other file; libvorbisfile when FFmpeg cannot open the file or decodes
    /// none of it and its content is Ogg Vorbis (`OggVorbisSniffer` says why and when).
    case ffmpegThenLibvorbisfile
    /// libvorbisfile for every Ogg Vorbis file, FFmpeg for the rest: for tests, which compare
    /// the fallback with FFmpeg's path on files both read.
    case libvorbisfile

    /// For tests only: `keyscan` decodes Ogg Vorbis with `.libvorbisfile` when this
    /// environment variable is 1. The command reads it; the library never does.
    public static let testVariable = "KEYSCAN_TEST_FORCE_LIBVORBISFILE"
}

/// Which library decodes MP3 audio.
public enum MP3Decoding: Sendable, Equatable {
    /// FFmpeg's decoder at the stream's full rate and channels, then libswresample: the
    /// exact, librosa-matching path.
    case ffmpeg
    /// libmpg123, fed the packets FFmpeg's demuxer reads, mixing to mono before synthesis and
    /// synthesising at the output rate (a quarter of 44.1 kHz for the fast front end): most of
    /// the decoding work is the upper subbands the transform never reads. FFmpeg's decoder
    /// takes over, with a warning, when libmpg123 fails before any audio, and for output
    /// rates libmpg123 does not produce (`mpg123_rates`: 8 to 48 kHz, MPEG's nine). Each
    /// frame is first cut down to the spectral lines below about 2 kHz (`MP3BandLimiter`),
    /// and the side channel of mid/side frames emptied: the transform reads nothing above
    /// 1.32 kHz, and the mono mix is the mid channel.
    case libmpg123
    /// `libmpg123` decoding every spectral line of both channels: for tests and measurements.
    case libmpg123AllLines
}

/// One library behind `AudioDecoder`: it appends mono samples at the output rate. The
/// decoder confines the samples and counts them.
protocol DecoderBackend: AnyObject {
    var source: AudioSourceInfo { get }
    /// What decoding got past.
    var notes: [String] { get }
    /// About `AudioDecoder.preferredBlockSize` samples; nil after the end.
    func nextBlock() throws(DecodeError) -> [Float]?
}

/// Rates below `AudioDecoder.minimumSourceRate` are refused before decoding, and so are
/// rates beyond a C int, which FFmpeg's resampler takes: a Vorbis header's rate is 32 bits
/// unsigned, and libvorbis accepts up to 4.3 GHz.
func checkSourceRate(_ rate: Int, path: String) throws(DecodeError) {
    guard rate >= AudioDecoder.minimumSourceRate else {
        throw .decodeFailed(path: path, reason: "sample rate \(rate) Hz, below the \(AudioDecoder.minimumSourceRate) Hz keyscan reads")
    }
    guard rate <= Int(Int32.max) else {
        throw .decodeFailed(path: path, reason: "sample rate \(rate) Hz, beyond what the resampler takes")
    }
}
