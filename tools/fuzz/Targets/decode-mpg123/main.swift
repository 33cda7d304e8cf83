import FuzzSupport
import Glibc
import Keyscan
import KeyscanDecode

// Arbitrary bytes as an audio file → the fast front end (`FrontEnd.fast`, the default for
// the shipped model): FFmpeg probes and demuxes, MP3 audio goes through libmpg123's mono mix
// and reduced-rate synthesis (`MPG123Decoder`, the resampler behind it for 48, 32, 24 and
// 16 kHz streams, FFmpeg's decoder when libmpg123 refuses the file), every other format
// through libswresample straight to 11.025 kHz, then the 11.025 kHz transform. Every input
// must end in a spectrogram or a thrown error; a crash, hang, leak or memory error is a bug.
// The seeds are MP3s at every MPEG rate, mono and stereo, with ID3 tags and a LAME/Xing
// frame, and MP3 in other containers (tools/fuzz/Targets/decode-mpg123/make_seeds).

/// Built once: the kernels take far longer to make than a short input takes to analyze.
let extractor: FeatureExtractor
do { extractor = try FeatureExtractor(frontEnd: .fast) }
catch { fatalError("FeatureExtractor: \(error)") }

/// FFmpeg reads files by path, so each input is written to one file in memory (/dev/shm),
/// reused for the whole run. No extension: the demuxer is chosen from the bytes alone.
let path = "/dev/shm/keyscan-fuzz-decode-mpg123-\(getpid())"
atexit { unlink("/dev/shm/keyscan-fuzz-decode-mpg123-\(getpid())") }

fuzz { bytes in
    writeInput(bytes, to: path)
    // Straight through the decoder too: every block's samples finite and within the limit,
    // whatever libmpg123 made of the input.
    if let decoder = try? AudioDecoder(path: path, sampleRate: 11025, mp3: .libmpg123) {
        while let block = try? decoder.nextBlock() {
            precondition(block.allSatisfy { abs($0) <= AudioDecoder.sampleLimit }, "sample beyond the limit")
        }
    }
    guard let spectrogram = try? extractor.modelInput(path: path) else { return }
    checkModelInput(spectrogram)
}
