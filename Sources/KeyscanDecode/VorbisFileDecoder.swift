/// `AudioDecoder`'s backend for Ogg Vorbis that FFmpeg cannot read: libvorbisfile decodes,
/// and the same `Resampler` as FFmpeg's path averages the channels and converts the rate,
/// so both give the same block stream (within the two Vorbis decoders' rounding).
///
/// One decoder per file, used from one thread.
final class VorbisFileDecoder: DecoderBackend {
    let path: String
    /// Output sample rate in Hz.
    let sampleRate: Int
    let source: AudioSourceInfo
    private(set) var notes: [String] = []

    private let file: OggVorbisFile
    private var resampler: Resampler
    private let interrupt: Interrupt?
    private var finished = false
    /// Samples per channel decoded, at the file's rate(s).
    private var decodedSamples = 0
    /// Gaps libvorbisfile skipped (OV_HOLE): missing or corrupt pages.
    private var holes = 0
    /// Gaps reported since the last samples. Read as a stream, libvorbisfile reports one at
    /// every boundary between chained links too (1.3.7, just before the next link's first
    /// samples), which is no damage: one of these is dropped when the link changes.
    private var recentHoles = 0
    /// The link of the last samples.
    private var link: Int32 = 0

    /// Opens `path`, reads its headers and sets up the resampler. Nothing is decoded until
    /// `nextBlock`.
    init(path: String, sampleRate: Int, interrupt: Interrupt?) throws(DecodeError) {
        self.path = path
        self.sampleRate = sampleRate
        self.interrupt = interrupt
        do { file = try OggVorbisFile(path: path, interrupt: interrupt) }
        catch { throw DecodeError(vorbisFile: path, error) }
        let format = file.format
        try checkSourceRate(format.sampleRate, path: path)
        do { resampler = try Resampler(from: format, toRate: sampleRate) }
        catch { throw DecodeError(decoding: path, error) }
        // Read as a stream, the file's length is not known before it is decoded.
        source = AudioSourceInfo(container: "ogg", codec: "vorbis", sampleRate: format.sampleRate,
                                 channels: format.channels, duration: nil, library: .libvorbisfile)
    }

    /// The next block: see `AudioDecoder.nextBlock`.
    func nextBlock() throws(DecodeError) -> [Float]? {
        guard !finished else { return nil }
        var block: [Float] = []
        // One read gives at most about `Resampler.outputPerCall` samples: slack for it.
        block.reserveCapacity(AudioDecoder.preferredBlockSize + Resampler.outputPerCall)
        while block.count < AudioDecoder.preferredBlockSize && !finished {
            try step(into: &block)
        }
        return block.isEmpty ? nil : block
    }

    /// One read: samples resampled into `block`, a gap counted, or the end.
    private func step(into block: inout [Float]) throws(DecodeError) {
        if let interrupt, interrupt.shouldAbort() { throw .cancelled(path: path) }
        // About `Resampler.outputPerCall` samples out per read, whatever the file's rate;
        // libvorbisfile returns at most one Vorbis block (≤ 4096 samples) anyway.
        let limit = max(1, min(1 << 20, Resampler.outputPerCall * resampler.input.sampleRate / sampleRate))
        let read: OggVorbisFile.Read
        do { read = try file.read(upTo: limit) }
        catch { try stopReading(error, into: &block); return }
        switch read {
        case .end: try finish(into: &block)
        case .hole: recentHoles += 1
        case .samples(let planes, let count, let link):
            holes += link == self.link ? recentHoles : max(0, recentHoles - 1)
            recentHoles = 0
            self.link = link
            let format = file.format
            if format != resampler.input {
                // The next link of a chained file has another rate or channel count.
                try checkSourceRate(format.sampleRate, path: path)
                do {
                    try resampler.flush(into: &block)
                    resampler = try Resampler(from: format, toRate: sampleRate)
                } catch { throw DecodeError(decoding: path, error) }
            }
            do {
                var offset = 0
                while offset < count {
                    offset = try resampler.convert(planes: planes, count: count, from: offset, into: &block)
                }
            } catch { throw DecodeError(decoding: path, error) }
            decodedSamples += count
        }
    }

    /// A failed read: cancellation and read(2) errors end the file; a decoding error before
    /// any audio fails it, after some audio keeps what was decoded, as FFmpeg's path does.
    private func stopReading(_ error: VorbisFileError, into block: inout [Float]) throws(DecodeError) {
        guard error.readFailure == nil, decodedSamples > 0 else { throw DecodeError(vorbisFile: path, error) }
        notes.append("stopped reading early (\(error.description)); kept the audio before it")
        try finish(into: &block)
    }

    /// Flushes the resampler; no audio at all fails the file, gaps become a warning.
    private func finish(into block: inout [Float]) throws(DecodeError) {
        finished = true
        holes += recentHoles
        let gaps = holes == 1 ? "1 gap" : "\(holes) gaps"
        guard decodedSamples > 0 else {
            throw .decodeFailed(path: path, reason: "ov_read_float: no audio decoded" + (holes > 0 ? " (\(gaps) in the stream)" : ""))
        }
        if holes > 0 {
            notes.append("skipped \(gaps) in the Ogg stream (missing or corrupt pages; ov_read_float: OV_HOLE)")
        }
        do { try resampler.flush(into: &block) }
        catch { throw DecodeError(decoding: path, error) }
    }
}
