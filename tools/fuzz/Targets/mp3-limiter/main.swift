import FuzzSupport
import Glibc
@_spi(Fuzzing) import KeyscanDecode

// Arbitrary bytes as an MP3 → `MP3BandLimiter`, the fast path's cut of each layer III frame
// to the spectral lines below about 2 kHz, then the whole fast-path decoder on the same bytes.
// The input is split into packets as FFmpeg's MP3 parser would (a frame from each header, a
// run of bytes up to the next sync word otherwise). Every packet must come out of the limiter
// once, in order, with its size and header; what is not a whole layer III frame unchanged;
// and the decoder's samples within the limit, whatever libmpg123 makes of the cut frames.
// A crash, hang, leak or memory error is a bug. The seeds are lame's MP3s of every kind:
// MPEG 1, 2 and 2.5, mono, joint, plain and dual-channel stereo, CRCs, short blocks
// (tools/fuzz/Targets/mp3-limiter/make_seeds).

let path = "/dev/shm/keyscan-fuzz-mp3-limiter-\(getpid())"
atexit { unlink("/dev/shm/keyscan-fuzz-mp3-limiter-\(getpid())") }

let mpeg1Bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
let lsfBitrates = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]

/// The size of the layer III frame whose header is at `at`, or nil.
func frameSize(_ bytes: UnsafeRawBufferPointer, at: Int) -> Int? {
    guard at + 4 <= bytes.count, bytes[at] == 0xFF, bytes[at + 1] & 0xE0 == 0xE0, (bytes[at + 1] >> 1) & 3 == 1 else { return nil }
    let version = Int(bytes[at + 1] >> 3) & 3, bitrate = Int(bytes[at + 2] >> 4), frequency = Int(bytes[at + 2] >> 2) & 3
    guard bitrate != 0, bitrate != 15, frequency != 3 else { return nil }
    let rate = [44100, 48000, 32000][frequency] >> (version == 3 ? 0 : version == 2 ? 1 : 2)
    return (version == 3 ? 144_000 * mpeg1Bitrates[bitrate] : 72_000 * lsfBitrates[bitrate]) / rate + Int(bytes[at + 2] >> 1) & 1
}

fuzz { bytes in
    var packets: [UnsafeRawBufferPointer] = []
    var at = 0
    while at < bytes.count {
        var end = min(bytes.count, at + (frameSize(bytes, at: at) ?? 1))
        if frameSize(bytes, at: at) == nil {
            while end < bytes.count && frameSize(bytes, at: end) == nil { end += 1 }
        }
        packets.append(UnsafeRawBufferPointer(rebasing: bytes[at..<end]))
        at = end
    }
    let limiter = MP3BandLimiter()
    var index = 0
    func check(_ frame: UnsafeRawBufferPointer) {
        precondition(index < packets.count, "more frames out than packets in")
        let packet = packets[index]
        precondition(frame.count == packet.count, "packet \(index): \(packet.count) bytes in, \(frame.count) out")
        precondition(frame.prefix(4).elementsEqual(packet.prefix(4)), "packet \(index): another header")
        index += 1
    }
    for packet in packets { limiter.push(packet, to: check) }
    limiter.flush(to: check)
    precondition(index == packets.count, "\(packets.count) packets in, \(index) out")

    writeInput(bytes, to: path)
    if let decoder = try? AudioDecoder(path: path, sampleRate: 11025, mp3: .libmpg123) {
        while let block = try? decoder.nextBlock() {
            precondition(block.allSatisfy { abs($0) <= AudioDecoder.sampleLimit }, "sample beyond the limit")
        }
    }
}
