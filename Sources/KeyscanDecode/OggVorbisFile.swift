import CFFmpeg
import CVorbisFile
import Glibc

/// Owns one libvorbisfile decoder (OggVorbis_File) and the read-only file it reads.
///
/// Opened as a stream, without seek or tell callbacks: libvorbisfile then reads the file
/// once from the start, link by link, as FFmpeg does. Opened seekable, it would first
/// bisect the whole file for its chained links, recursing once per link (a crafted file of
/// tiny links would run the stack out) and reading the end before the start; as a stream
/// its memory and stack are bounded whatever the file holds. What that gives up is the
/// total length, which keyscan does not need.
final class OggVorbisFile {
    private let file: UnsafeMutablePointer<OggVorbis_File>
    /// Referenced by libvorbisfile's read callback, so it lives exactly as long as `file`.
    private let input: FileInput

    /// Opens `path` and reads the first link's three Vorbis headers.
    init(path: String, interrupt: Interrupt?) throws(VorbisFileError) {
        input = try FileInput(path: path, interrupt: interrupt)
        let fresh = UnsafeMutablePointer<OggVorbis_File>.allocate(capacity: 1)
        fresh.initialize(to: OggVorbis_File())
        var callbacks = ov_callbacks()
        callbacks.read_func = { buffer, size, count, source in
            guard let buffer, let source else { return 0 }
            return Unmanaged<FileInput>.fromOpaque(source).takeUnretainedValue().read(into: buffer, size * count) / max(size, 1)
        }
        // No seek_func: read as a stream (see above). No close_func: `input` closes its file.
        let code = ov_open_callbacks(Unmanaged.passUnretained(input).toOpaque(), fresh, nil, 0, callbacks)
        guard code == 0 else {
            // On failure libvorbisfile has already cleared the struct (ov_clear); only our
            // allocation is left.
            fresh.deinitialize(count: 1)
            fresh.deallocate()
            throw input.error(call: "ov_open_callbacks", code: code)
        }
        file = fresh
    }

    deinit {
        ov_clear(file)
        file.deinitialize(count: 1)
        file.deallocate()
    }

    /// The current link's layout: libvorbisfile's planar floats at its rate and channels.
    /// Chained files may change it from one link to the next.
    var format: PCMFormat {
        // A stream (non-seekable) OggVorbis_File keeps one vorbis_info, of the current link.
        let info = ov_info(file, -1)?.pointee
        return PCMFormat(sampleRate: Int(info?.rate ?? 0), channels: Int(info?.channels ?? 0),
                         sampleFormat: AV_SAMPLE_FMT_FLTP)
    }

    enum Read {
        /// `count` samples per channel, one plane per channel, valid until the next read;
        /// `link` counts the chained streams read so far (0 for the first).
        case samples(planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int, link: Int32)
        /// A gap in the data (a missing or corrupt page): decoding goes on after it.
        case hole
        case end
    }

    /// Decodes at most `limit` samples per channel.
    func read(upTo limit: Int) throws(VorbisFileError) -> Read {
        var pcm: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>?
        var link: Int32 = 0
        let count = ov_read_float(file, &pcm, Int32(clamping: limit), &link)
        if count == Int(OV_HOLE) { return .hole }
        if count == 0 {
            // libvorbisfile takes a failed read while decoding for the end of the file.
            if input.hasFailed { throw input.error(call: "ov_read_float", code: OV_EREAD) }
            return .end
        }
        guard count > 0, let pcm else { throw input.error(call: "ov_read_float", code: Int32(clamping: count)) }
        // float** as the byte planes the resampler reads.
        return .samples(planes: UnsafeMutableRawPointer(pcm).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                        count: count, link: link)
    }
}

/// The file libvorbisfile reads through its read callback: a descriptor opened read-only,
/// and the caller's abort check, polled before every read as FFmpeg's interrupt callback is.
private final class FileInput {
    private let descriptor: Int32
    private let interrupt: Interrupt?
    private var failure: VorbisFileError.ReadFailure?

    init(path: String, interrupt: Interrupt?) throws(VorbisFileError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw VorbisFileError(call: "open", code: OV_EREAD, readFailure: .system(errno)) }
        self.interrupt = interrupt
    }

    deinit { close(descriptor) }

    /// read(2) into `buffer`; 0 at the end. A failure returns 0 with errno set, which is
    /// how libvorbisfile tells a failed read from the end of the file (it clears errno first).
    func read(into buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        if let interrupt, interrupt.shouldAbort() {
            failure = .interrupted
            errno = EINTR
            return 0
        }
        while true {
            let n = Glibc.read(descriptor, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            failure = .system(errno)
            return 0
        }
    }

    var hasFailed: Bool { failure != nil }

    /// The error for a failed call, with why reading failed if it did: then the read is the
    /// cause, whatever libvorbisfile made of it (a failed read while looking for the headers
    /// becomes OV_ENOTVORBIS).
    func error(call: String, code: Int32) -> VorbisFileError {
        VorbisFileError(call: call, code: failure == nil ? code : OV_EREAD, readFailure: failure)
    }
}
