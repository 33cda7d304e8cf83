/// The checks FFmpeg's MP3 decoder makes on a layer III frame's side information before it
/// decodes the frame, and rejects it for (AVERROR_INVALIDDATA): libmpg123 makes them too,
/// but only prints a complaint and conceals the frame, so `MPG123Decoder` asks here to count
/// and drop damaged frames as FFmpeg's path does.
enum MP3SideInfo {
    /// Whether the frame with this 4-byte `header` and `body` (what follows the header) has
    /// side information a decoder can use: every granule's `big_values` at most 288 (576
    /// spectral lines in pairs), and no window switching with block type 0 (reserved).
    /// Frames of other layers pass.
    static func isValid(header: UInt32, body: UnsafeRawBufferPointer) -> Bool {
        guard (header >> 17) & 3 == 1 else { return true }    // layer III only
        let mpeg1 = (header >> 19) & 3 == 3
        let channels = (header >> 6) & 3 == 3 ? 1 : 2
        var bits = BitReader(body, skippingBytes: (header >> 16) & 1 == 0 ? 2 : 0)  // a CRC-16 first
        bits.skip(mpeg1 ? 9 : 8)                                   // main_data_begin
        bits.skip(mpeg1 ? (channels == 1 ? 5 : 3) : (channels == 1 ? 1 : 2))  // private bits
        if mpeg1 { bits.skip(4 * channels) }                      // scfsi
        for _ in 0..<(mpeg1 ? 2 : 1) {
            for _ in 0..<channels {
                bits.skip(12)                                      // part2_3_length
                guard bits.read(9) <= 288 else { return false }    // big_values
                bits.skip(8 + (mpeg1 ? 4 : 9))                     // global_gain, scalefac_compress
                if bits.read(1) == 1 {                             // window switching
                    guard bits.read(2) != 0 else { return false }  // block type
                    bits.skip(1 + 2 * 5 + 3 * 3)                   // mixed, table_select, subblock_gain
                } else {
                    bits.skip(3 * 5 + 4 + 3)                       // table_select, region counts
                }
                bits.skip((mpeg1 ? 1 : 0) + 2)                     // preflag, scalefac_scale, count1table
            }
        }
        return !bits.overran
    }
}

extension MP3SideInfo {
    /// The sample rate an MPEG audio frame header at the start of `bytes` announces, or nil
    /// if `bytes` does not start with one. What libmpg123 takes for a header (its
    /// `head_check`): the sync word, a layer, a bitrate index and a rate index that are not
    /// reserved; the reserved version (01) it reads as MPEG 2.5, and so does this.
    static func sampleRate(ofHeaderAt bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 else { return nil }
        let version = (bytes[1] >> 3) & 3, layer = (bytes[1] >> 1) & 3
        let bitrate = bytes[2] >> 4, index = Int((bytes[2] >> 2) & 3)
        guard layer != 0, bitrate != 15, index != 3 else { return nil }
        let base = [44100, 48000, 32000][index]
        return version == 3 ? base : version == 2 ? base / 2 : base / 4
    }
}

/// MSB-first bits of a byte buffer; reading past its end gives zeros and sets `overran`.
/// Whole bytes at a time: it runs on every frame of every MP3 on the fast path.
private struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int
    private(set) var overran = false

    init(_ bytes: UnsafeRawBufferPointer, skippingBytes: UInt32) {
        self.bytes = bytes
        position = Int(skippingBytes) * 8
    }

    mutating func skip(_ count: Int) {
        position += count
        if position > bytes.count * 8 { overran = true }
    }

    /// The next `count` bits (at most 32) as an unsigned number.
    mutating func read(_ count: Int) -> UInt32 {
        guard count > 0 else { return 0 }
        let end = position + count
        guard end <= bytes.count * 8 else { return readPastEnd(count) }
        var value: UInt64 = 0
        for byte in (position / 8)...((end - 1) / 8) { value = value << 8 | UInt64(bytes[byte]) }
        let unread = (8 - end % 8) % 8
        position = end
        return UInt32(truncatingIfNeeded: (value >> UInt64(unread)) & ((1 << UInt64(count)) - 1))
    }

    /// Bit by bit, zeros beyond the end.
    private mutating func readPastEnd(_ count: Int) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            let byte = position / 8
            guard byte < bytes.count else { overran = true; position += 1; value <<= 1; continue }
            value = value << 1 | UInt32(bytes[byte] >> (7 - UInt8(position % 8)) & 1)
            position += 1
        }
        return value
    }
}
