import FuzzSupport
import Glibc
import Keyscan
import KeyscanDecode

// Arbitrary bytes as an audio file → decode → constant-Q transform, as `keyscan analyze`
// does before the network. Every input must end in a spectrogram or a thrown error: a
// crash, hang (libFuzzer's -timeout), leak (LeakSanitizer) or memory error (ASan) is a bug.
//
// An input that starts like an Ogg page goes through the libvorbisfile fallback too,
// forced: the default path reaches it only when FFmpeg fails first, which few mutations of
// a valid file do, so forcing it fuzzes libvorbisfile, its callbacks and the resampler
// switch between chained links on every Ogg input; and through the digest `--write-tags`
// checks audio with, which reads Ogg Vorbis that FFmpeg refuses with libogg.

/// Built once: the kernels take far longer to make than a short input takes to analyze.
let extractor: FeatureExtractor
let vorbisExtractor: FeatureExtractor
do {
    // The exact front end, FFmpeg's decoders at 44.1 kHz; the fast one has decode-mpg123.
    extractor = try FeatureExtractor(frontEnd: .exact)
    vorbisExtractor = try FeatureExtractor(frontEnd: .exact, oggVorbis: .libvorbisfile)
} catch { fatalError("FeatureExtractor: \(error)") }

/// FFmpeg reads files by path, so each input is written to one file in memory (/dev/shm),
/// reused for the whole run. No extension: the demuxer is chosen from the bytes alone.
let path = "/dev/shm/keyscan-fuzz-decode-\(getpid())"
atexit { unlink("/dev/shm/keyscan-fuzz-decode-\(getpid())") }

fuzz { bytes in
    writeInput(bytes, to: path)
    check(extractor)
    if bytes.starts(with: "OggS".utf8) {
        check(vorbisExtractor)
        _ = try? AudioStreamDigest(path: path)
    }
}

func check(_ extractor: FeatureExtractor) {
    guard let spectrogram = try? extractor.modelInput(path: path) else { return }
    checkModelInput(spectrogram)
}
