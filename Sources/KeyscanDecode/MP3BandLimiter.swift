/// Cuts every MPEG audio layer III frame down to the spectral lines keyscan reads before
/// libmpg123 decodes it: most of libmpg123's time is Huffman decoding all 576 lines of both
/// channels (docs/benchmarks.md), and the transform reads nothing above 1.32 kHz.
///
/// For each granule and channel the frame keeps its scalefactors (part 2) and the first
/// Huffman-coded lines (part 3) up to `keptBandwidth` and a little more (up to the next
/// subband or short-block scalefactor-band boundary): its side information then says
/// `big_values` = the pairs kept, `part2_3_length` = the bits kept, which are a prefix of
/// the original bits, so they are copied, never re-encoded. In mid/side frames (joint
/// stereo, no intensity stereo) the side channel is emptied altogether: libmpg123's mono mix
/// is (L + R) / 2 = M / √2, whatever the side channel holds. The frames keep their headers
/// and sizes; their main data is packed again (each frame's data starts where it started, or
/// right after the previous frame's, whichever is later, so `main_data_begin` never grows),
/// and a frame's CRC is computed again (wrong again where it was wrong).
///
/// A frame is handed on once no later frame's data can reach back into it (511 bytes, 255 in
/// MPEG 2 and 2.5), so frames come out a few frames late; `flush` hands on the rest.
/// What is not a layer III frame of the size its header says (free format, a cut frame,
/// other layers, bytes that only look like a header) passes through unchanged, after the
/// frames before it, and the bit reservoir starts again after it. A frame whose reservoir
/// reaches before the data there is (the stream's start, after such a packet) becomes a
/// silent frame, as libmpg123 makes it; so does a frame whose rewritten data would not fit
/// (only possible when its side information is damaged). Frames whose side information
/// `MP3SideInfo` rejects keep their side information and bits, so they are still rejected.
///
/// The Huffman code tables are minimp3's (lieff/minimp3, `minimp3.h`, CC0 1.0: public domain),
/// its compact form of ISO/IEC 11172-3 Annex B, table 3-B.7. The scalefactor-band tables and
/// region boundaries are the standard's as libmpg123 1.31 reads them (its `bandInfo`, the
/// implicit regions of window-switched granules, `n_slen2`/`i_slen2` for MPEG 2), since the
/// kept bits must be the ones libmpg123 would have decoded with the same tables.
///
/// One limiter per stream, used from one thread. Public only to tools/fuzz (`@_spi(Fuzzing)`).
@_spi(Fuzzing) public final class MP3BandLimiter {
    /// Every frame keeps the lines below this frequency, in Hz: the transform's top bin is at
    /// 1.32 kHz, and its kernels, windowed, reach a few percent beyond it; the margin also
    /// keeps the antialiasing butterflies libmpg123 skips above the last non-zero subband
    /// away from what the transform reads.
    static let keptBandwidth = 2000

    /// Main data of the frames pushed (the bit reservoir); `inputBase` is the stream position
    /// of its first byte. Positions count main-data bytes since the limiter started.
    private var input: [UInt8] = []
    private var inputBase = 0
    /// Where the next frame's main data starts.
    private var position = 0
    /// The reservoir holds nothing before this position (the start, or a packet passed through).
    private var reservoirStart = 0
    /// The rewritten main data, from `outputBase`, as long as `input`.
    private var output: [UInt8] = []
    private var outputBase = 0
    /// The end of the last frame's rewritten data, and of the last frame handed on.
    private var written = 0
    private var handedOn = 0
    private var pending: [Pending] = []
    /// The frame being handed on: a layer III frame is at most 1,441 bytes.
    private let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)

    private struct Pending {
        /// Header, CRC and side information.
        var head: [UInt8]
        var areaStart: Int
        var areaEnd: Int
    }

    public init() {
        input.reserveCapacity(20_000)
        output.reserveCapacity(20_000)
    }

    deinit {
        frame.deallocate()
    }

    /// Takes one packet (an MPEG audio frame, as FFmpeg's demuxer reads it) and hands
    /// `feed` every frame that is ready, oldest first, each valid only during the call.
    public func push<E: Error>(_ packet: UnsafeRawBufferPointer, to feed: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        guard let layout = FrameLayout(packet) else {
            try flush(to: feed)
            try feed(packet)
            reservoirStart = position
            written = position
            return
        }
        let head = rewrite(packet, layout)
        pending.append(Pending(head: head, areaStart: position - layout.areaCount, areaEnd: position))
        // Later frames' data starts at or after `written`, and at most `maximumBack` before
        // their own main data, which starts at `position`.
        let reach = max(written, handedOn, position - (layout.mpeg1 ? 511 : 255))
        try handOn(upTo: reach, to: feed)
        compact()
    }

    /// Hands `feed` every frame still held (at the end of the stream).
    public func flush<E: Error>(to feed: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        try handOn(upTo: Int.max, to: feed)
    }

    private func handOn<E: Error>(upTo reach: Int, to feed: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        var count = 0
        defer { pending.removeFirst(count) }
        for held in pending {
            guard held.areaEnd <= reach else { break }
            let headCount = held.head.count, areaCount = held.areaEnd - held.areaStart
            held.head.withUnsafeBytes { frame.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: headCount) }
            output.withUnsafeBytes {
                (frame.baseAddress! + headCount).copyMemory(from: $0.baseAddress! + (held.areaStart - outputBase), byteCount: areaCount)
            }
            count += 1
            handedOn = held.areaEnd
            try feed(UnsafeRawBufferPointer(rebasing: frame[0..<(headCount + areaCount)]))
        }
    }

    /// Drops what no frame can reach back to any more.
    private func compact() {
        let keep = position - 4096
        if keep - inputBase > 8192 {
            input.removeFirst(keep - inputBase)
            inputBase = keep
        }
        let handed = min(handedOn, pending.first?.areaStart ?? handedOn)
        if handed - outputBase > 8192 {
            output.removeFirst(handed - outputBase)
            outputBase = handed
        }
    }

    // MARK: One frame

    /// The frame's new head (header, CRC, side information); its rewritten main data goes
    /// into `output`.
    private func rewrite(_ packet: UnsafeRawBufferPointer, _ layout: FrameLayout) -> [UInt8] {
        let areaStart = position
        input.append(contentsOf: packet[layout.areaOffset...])
        output.append(contentsOf: repeatElement(0, count: layout.areaCount))
        position += layout.areaCount
        var head = Array(packet[0..<layout.areaOffset])
        let side = layout.sideOffset
        let info = SideInfo(head, at: side, layout)
        let crcWasRight = layout.hasCRC && Self.crc(head, layout) == UInt16(head[4]) << 8 | UInt16(head[5])

        var kept = [Int](repeating: 0, count: 4)
        var pairs = [Int](repeating: -1, count: 4)    // new big_values, -1: unchanged
        var emptied = [Bool](repeating: false, count: 4)
        let dataStart = areaStart - info.mainDataBegin
        var silent = dataStart < reservoirStart
        if !silent {
            // Side information FFmpeg's decoder (and `MPG123Decoder`) rejects: kept as it is,
            // so that it is still rejected.
            let header = UInt32(packet[0]) << 24 | UInt32(packet[1]) << 16 | UInt32(packet[2]) << 8 | UInt32(packet[3])
            let keepAll = !MP3SideInfo.isValid(header: header, body: UnsafeRawBufferPointer(rebasing: packet[4...]))
            // The mono mix of a mid/side frame is the mid channel alone.
            let emptySide = layout.channels == 2 && layout.mode == 1 && layout.modeExtension == 2
            let intensity = layout.channels == 2 && layout.mode == 1 && layout.modeExtension & 1 == 1
            var bit = dataStart * 8
            input.withUnsafeBufferPointer { buffer in
                let bits = Bits(buffer, base: inputBase)
                for index in 0..<info.count {
                    let granule = info.granules[index]
                    defer { bit += granule.part23 }
                    if keepAll || (intensity && granule.channel == 1) { kept[index] = granule.part23; continue }
                    if emptySide && granule.channel == 1 { emptied[index] = true; continue }
                    if let (bits, bigValues) = Self.trim(granule, at: bit, in: bits, layout: layout, info: info) {
                        kept[index] = bits
                        pairs[index] = bigValues
                    } else {
                        kept[index] = granule.part23
                    }
                }
            }
        }

        // Where the rewritten data goes.
        let total = kept.reduce(0, +)
        let floor = max(written, handedOn)
        let start = max(floor, dataStart)
        if !silent && start + (total + 7) / 8 > position { silent = true }
        if silent {
            for index in layout.sideOffset..<layout.areaOffset { head[index] = 0 }
        } else {
            var to = (start - outputBase) * 8
            var from = dataStart * 8
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    for index in 0..<info.count {
                        Self.copyBits(kept[index], from: source, at: from - inputBase * 8, to: target, at: to)
                        to += kept[index]
                        from += info.granules[index].part23
                    }
                }
            }
            written = start + (total + 7) / 8
            Self.set(&head, bit: side * 8, count: layout.mpeg1 ? 9 : 8, to: areaStart - start)
            for index in 0..<info.count {
                let at = side * 8 + info.granules[index].offset
                if emptied[index] {
                    for b in 0..<info.granuleBits { Self.set(&head, bit: at + b, count: 1, to: 0) }
                    if layout.mpeg1 { Self.set(&head, bit: side * 8 + info.scfsiOffset + 4, count: 4, to: 0) }
                    continue
                }
                Self.set(&head, bit: at, count: 12, to: kept[index])
                if pairs[index] >= 0 { Self.set(&head, bit: at + 12, count: 9, to: pairs[index]) }
            }
        }
        if layout.hasCRC {
            let crc = Self.crc(head, layout) ^ (crcWasRight ? 0 : 1)
            head[4] = UInt8(crc >> 8)
            head[5] = UInt8(crc & 0xFF)
        }
        return head
    }

    /// The bits of `granule` worth keeping from `bit` on (part 2 and the Huffman-coded lines
    /// up to the cut-off), and its new `big_values`; nil if anything is out of place (the
    /// granule then keeps all its bits).
    private static func trim(_ granule: Granule, at bit: Int, in bits: Bits, layout: FrameLayout,
                             info: SideInfo) -> (Int, Int)? {
        let part2 = part2Length(granule, layout: layout, scfsi: info.scfsi(granule))
        guard part2 <= granule.part23 else { return nil }
        let limit = bit + granule.part23
        let kind = granule.blockType == 2 ? (granule.mixed ? 2 : 1) : 0
        let cut = cutLines[layout.rateIndex][kind]
        let (region1, region2) = regions(granule, layout: layout)
        guard region1 <= region2 else { return nil }
        let pairs = min(granule.bigValues, cut / 2)
        var at = bit + part2
        guard Huffman.skipPairs(pairs, at: &at, limit: limit, in: bits, tables: granule.tables,
                                region1: region1, region2: region2) else { return nil }
        if granule.bigValues < cut / 2 {
            Huffman.skipQuads(fromLine: 2 * granule.bigValues, toLine: cut, at: &at, limit: limit, in: bits,
                              tableB: granule.count1Table == 1)
        }
        return (at - bit, pairs)
    }

    /// Scalefactor bits (part 2), as libmpg123 reads them (`III_get_scale_factors_1` and `_2`).
    static func part2Length(_ granule: Granule, layout: FrameLayout, scfsi: Int) -> Int {
        if layout.mpeg1 {
            let s1 = slen1[granule.scalefacCompress], s2 = slen2[granule.scalefacCompress]
            if granule.blockType == 2 { return granule.mixed ? 17 * s1 + 18 * s2 : 18 * (s1 + s2) }
            if granule.index == 0 { return 11 * s1 + 10 * s2 }
            return (scfsi & 8 != 0 ? 0 : 6 * s1) + (scfsi & 4 != 0 ? 0 : 5 * s1)
                + (scfsi & 2 != 0 ? 0 : 5 * s2) + (scfsi & 1 != 0 ? 0 : 5 * s2)
        }
        let intensity = layout.mode == 1 && layout.modeExtension & 1 == 1 && granule.channel == 1
        var slen = intensity ? intensitySlen[granule.scalefacCompress >> 1] : normalSlen[granule.scalefacCompress]
        let n = granule.blockType == 2 ? (granule.mixed ? 2 : 1) : 0
        let counts = bandCounts[n][(slen >> 12) & 7]
        var total = 0
        for i in 0..<4 {
            total += (slen & 7) * counts[i]
            slen >>= 3
        }
        return total
    }

    /// The first pairs of region 1 and of region 2 (libmpg123's `region1start`, `region2start`).
    static func regions(_ granule: Granule, layout: FrameLayout) -> (Int, Int) {
        let long = longBands[layout.rateIndex]
        guard granule.windowSwitching else {
            let r0 = granule.regionCounts.0, r1 = granule.regionCounts.1
            return (long[r0 + 1] >> 1, r0 + r1 + 2 > 22 ? 288 : long[r0 + r1 + 2] >> 1)
        }
        if (layout.mpeg1 || granule.blockType == 2) && !layout.mpeg25 { return (18, 288) }
        if layout.mpeg25 {
            let r0 = granule.blockType == 2 && !granule.mixed ? 5 : 7
            return (long[r0 + 1] >> 1, long[22] >> 1)
        }
        return (27, 288)
    }

    /// Copies `count` bits, MSB first, into zeroed bits of `target`: 24 at a time, ORed into
    /// the four bytes they span.
    private static func copyBits(_ count: Int, from source: UnsafeBufferPointer<UInt8>, at sourceBit: Int,
                                 to target: UnsafeMutableBufferPointer<UInt8>, at targetBit: Int) {
        var done = 0
        let bits = Bits(source, base: 0)
        while count - done >= 24 && (targetBit + done) / 8 + 4 <= target.count {
            let to = targetBit + done
            let word = bits.peek(sourceBit + done, 24) << UInt32(8 - to % 8)
            target[to / 8] |= UInt8(word >> 24)
            target[to / 8 + 1] |= UInt8(truncatingIfNeeded: word >> 16)
            target[to / 8 + 2] |= UInt8(truncatingIfNeeded: word >> 8)
            target[to / 8 + 3] |= UInt8(truncatingIfNeeded: word)
            done += 24
        }
        while done < count {
            let to = targetBit + done
            let n = min(count - done, 8 - to % 8)
            let value = bits.peek(sourceBit + done, n)
            target[to / 8] |= UInt8(value << UInt32(8 - to % 8 - n))
            done += n
        }
    }

    private static func set(_ bytes: inout [UInt8], bit: Int, count: Int, to value: Int) {
        for i in 0..<count {
            let at = bit + i
            let mask = UInt8(0x80) >> UInt8(at % 8)
            if (value >> (count - 1 - i)) & 1 == 1 { bytes[at / 8] |= mask } else { bytes[at / 8] &= ~mask }
        }
    }

    /// MPEG audio's CRC-16 (polynomial 0x8005, from 0xFFFF) over the header's last two bytes
    /// and the side information.
    static func crc(_ head: [UInt8], _ layout: FrameLayout) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        func add(_ byte: UInt8) {
            for bit in 0..<8 {
                let top = (crc >> 15) & 1
                let incoming = UInt16(byte >> (7 - UInt8(bit))) & 1
                crc <<= 1
                if top ^ incoming == 1 { crc ^= 0x8005 }
            }
        }
        add(head[2])
        add(head[3])
        for index in layout.sideOffset..<layout.areaOffset { add(head[index]) }
        return crc
    }
}

// MARK: - Frame structure

extension MP3BandLimiter {
    /// Where a layer III frame's parts lie, from its header; nil for anything else.
    struct FrameLayout {
        let mpeg1: Bool
        let mpeg25: Bool
        let hasCRC: Bool
        let channels: Int
        let mode: Int
        let modeExtension: Int
        /// libmpg123's `sampling_frequency`: 0–2 MPEG 1, 3–5 MPEG 2, 6–8 MPEG 2.5.
        let rateIndex: Int
        let sideOffset: Int
        let areaOffset: Int
        let areaCount: Int

        init?(_ packet: UnsafeRawBufferPointer) {
            guard packet.count >= 4, packet[0] == 0xFF, packet[1] & 0xE0 == 0xE0, (packet[1] >> 1) & 3 == 1 else { return nil }
            let version = Int(packet[1] >> 3) & 3
            let bitrateIndex = Int(packet[2] >> 4), frequency = Int(packet[2] >> 2) & 3
            guard bitrateIndex != 0, bitrateIndex != 15, frequency != 3 else { return nil }
            mpeg1 = version == 3
            mpeg25 = version < 2    // the reserved 01 too, as libmpg123 reads it
            hasCRC = packet[1] & 1 == 0
            mode = Int(packet[3] >> 6)
            modeExtension = Int(packet[3] >> 4) & 3
            channels = mode == 3 ? 1 : 2
            rateIndex = frequency + (mpeg1 ? 0 : mpeg25 ? 6 : 3)
            let rate = [44100, 48000, 32000][frequency] >> (mpeg1 ? 0 : mpeg25 ? 2 : 1)
            let kilobits = (mpeg1 ? Self.mpeg1Bitrates : Self.lsfBitrates)[bitrateIndex]
            let size = (mpeg1 ? 144_000 : 72_000) * kilobits / rate + Int(packet[2] >> 1) & 1
            sideOffset = hasCRC ? 6 : 4
            areaOffset = sideOffset + (mpeg1 ? (channels == 1 ? 17 : 32) : (channels == 1 ? 9 : 17))
            guard size == packet.count, areaOffset <= size, size <= 2048 else { return nil }
            areaCount = size - areaOffset
        }

        static let mpeg1Bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        static let lsfBitrates = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
    }

    /// One granule's side information for one channel.
    struct Granule {
        var index = 0
        var channel = 0
        /// Bit offset of its fields in the side information.
        var offset = 0
        var part23 = 0
        var bigValues = 0
        var scalefacCompress = 0
        var windowSwitching = false
        var blockType = 0
        var mixed = false
        var tables = (0, 0, 0)
        var regionCounts = (0, 0)
        var count1Table = 0
    }

    /// A frame's side information, read as libmpg123 reads it.
    struct SideInfo {
        var mainDataBegin = 0
        var granules: [Granule] = []
        var count: Int { granules.count }
        var scfsiOffset = 0
        var scfsiBits = [0, 0]
        let granuleBits: Int

        init(_ head: [UInt8], at side: Int, _ layout: FrameLayout) {
            granuleBits = layout.mpeg1 ? 59 : 63
            var position = side * 8
            func read(_ count: Int) -> Int {
                var value = 0, remaining = count
                while remaining > 0 {
                    let offset = position & 7, take = min(remaining, 8 - offset)
                    value = value << take | (Int(head[position >> 3]) >> (8 - offset - take)) & ((1 << take) - 1)
                    position += take
                    remaining -= take
                }
                return value
            }
            mainDataBegin = read(layout.mpeg1 ? 9 : 8)
            _ = read(layout.mpeg1 ? (layout.channels == 1 ? 5 : 3) : (layout.channels == 1 ? 1 : 2))
            scfsiOffset = position - side * 8
            if layout.mpeg1 { for channel in 0..<layout.channels { scfsiBits[channel] = read(4) } }
            for index in 0..<(layout.mpeg1 ? 2 : 1) {
                for channel in 0..<layout.channels {
                    var g = Granule()
                    g.index = index
                    g.channel = channel
                    g.offset = position - side * 8
                    g.part23 = read(12)
                    g.bigValues = read(9)
                    _ = read(8)
                    g.scalefacCompress = read(layout.mpeg1 ? 4 : 9)
                    g.windowSwitching = read(1) == 1
                    if g.windowSwitching {
                        g.blockType = read(2)
                        g.mixed = read(1) == 1
                        g.tables = (read(5), read(5), 0)
                        _ = read(9)
                    } else {
                        g.tables = (read(5), read(5), read(5))
                        g.regionCounts = (read(4), read(3))
                    }
                    _ = read(layout.mpeg1 ? 2 : 1)             // preflag, scalefac_scale
                    g.count1Table = read(1)
                    granules.append(g)
                }
            }
        }

        /// MPEG 1 granule 1 reuses the scalefactor groups its channel's `scfsi` bits name.
        func scfsi(_ granule: Granule) -> Int { granule.index == 1 ? scfsiBits[granule.channel] : 0 }
    }

    /// MSB-first bits of the reservoir; zeros outside it.
    struct Bits {
        let bytes: UnsafeBufferPointer<UInt8>
        /// Stream position of `bytes[0]`, in bytes.
        let base: Int

        init(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
            self.bytes = bytes
            self.base = base
        }

        /// The bits from stream bit position `bit` on, MSB first: at least 57 of them.
        @inline(__always)
        func window(_ bit: Int) -> UInt64 {
            let relative = bit - base * 8
            let first = relative >> 3
            var word: UInt64 = 0
            if first >= 0 && first + 8 <= bytes.count {
                word = UInt64(bigEndian: UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(fromByteOffset: first, as: UInt64.self))
            } else {
                for k in 0..<8 {
                    let index = first + k
                    word <<= 8
                    if index >= 0 && index < bytes.count { word |= UInt64(bytes[index]) }
                }
            }
            return word << UInt64(relative & 7)
        }

        /// `count` (at most 24) bits from stream bit position `bit`.
        @inline(__always)
        func peek(_ bit: Int, _ count: Int) -> UInt32 {
            count == 0 ? 0 : UInt32(truncatingIfNeeded: window(bit) >> UInt64(64 - count))
        }
    }
}

// MARK: - Tables

extension MP3BandLimiter {
    static let slen1 = [0, 0, 0, 0, 3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    static let slen2 = [0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 3]

    /// MPEG 2 scalefactor lengths (ISO 13818-3 2.4.3.2), packed as libmpg123 packs them: four
    /// 3-bit lengths, the band-count row at bit 12.
    static let normalSlen: [Int] = {
        var table = [Int](repeating: 0, count: 512)
        for i in 0..<5 { for j in 0..<5 { for k in 0..<4 { for l in 0..<4 {
            table[l + k * 4 + j * 16 + i * 80] = i | j << 3 | k << 6 | l << 9
        } } } }
        for i in 0..<5 { for j in 0..<5 { for k in 0..<4 {
            table[k + j * 4 + i * 20 + 400] = i | j << 3 | k << 6 | 1 << 12
        } } }
        for i in 0..<4 { for j in 0..<3 { table[j + i * 3 + 500] = i | j << 3 | 2 << 12 | 1 << 15 } }
        return table
    }()

    /// The same for the right channel of an intensity-stereo frame.
    static let intensitySlen: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for i in 0..<5 { for j in 0..<6 { for k in 0..<6 { table[k + j * 6 + i * 36] = i | j << 3 | k << 6 | 3 << 12 } } }
        for i in 0..<4 { for j in 0..<4 { for k in 0..<4 { table[k + j * 4 + i * 16 + 180] = i | j << 3 | k << 6 | 4 << 12 } } }
        for i in 0..<4 { for j in 0..<3 { table[j + i * 3 + 244] = i | j << 3 | 5 << 12 } }
        return table
    }()

    /// Scalefactors in each of the four MPEG 2 groups: long, short, mixed blocks.
    static let bandCounts: [[[Int]]] = [
        [[6, 5, 5, 5], [6, 5, 7, 3], [11, 10, 0, 0], [7, 7, 7, 0], [6, 6, 6, 3], [8, 8, 5, 0]],
        [[9, 9, 9, 9], [9, 9, 12, 6], [18, 18, 0, 0], [12, 12, 12, 0], [12, 9, 9, 6], [15, 12, 9, 0]],
        [[6, 9, 9, 9], [6, 9, 12, 6], [15, 18, 0, 0], [6, 15, 12, 0], [6, 12, 9, 6], [6, 18, 9, 0]],
    ]

    /// Long-block scalefactor-band starts, in lines, per `rateIndex` (libmpg123's `longIdx`).
    static let longBands: [[Int]] = [
        [0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 52, 62, 74, 90, 110, 134, 162, 196, 238, 288, 342, 418, 576],
        [0, 4, 8, 12, 16, 20, 24, 30, 36, 42, 50, 60, 72, 88, 106, 128, 156, 190, 230, 276, 330, 384, 576],
        [0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 54, 66, 82, 102, 126, 156, 194, 240, 296, 364, 448, 550, 576],
        [0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576],
        [0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 114, 136, 162, 194, 232, 278, 332, 394, 464, 540, 576],
        [0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576],
        [0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576],
        [0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576],
        [0, 12, 24, 36, 48, 60, 72, 88, 108, 132, 160, 192, 232, 280, 336, 400, 476, 566, 568, 570, 572, 574, 576],
    ]

    /// Short-block scalefactor-band starts, in lines of all three windows (libmpg123's `shortIdx`).
    static let shortBands: [[Int]] = [
        [0, 12, 24, 36, 48, 66, 90, 120, 156, 198, 252, 318, 408, 576],
        [0, 12, 24, 36, 48, 66, 84, 114, 150, 192, 240, 300, 378, 576],
        [0, 12, 24, 36, 48, 66, 90, 126, 174, 234, 312, 414, 540, 576],
        [0, 12, 24, 36, 54, 72, 96, 126, 168, 222, 300, 396, 522, 576],
        [0, 12, 24, 36, 54, 78, 108, 144, 186, 240, 312, 408, 540, 576],
        [0, 12, 24, 36, 54, 78, 108, 144, 186, 240, 312, 402, 522, 576],
        [0, 12, 24, 36, 54, 78, 108, 144, 186, 240, 312, 402, 522, 576],
        [0, 12, 24, 36, 54, 78, 108, 144, 186, 240, 312, 402, 522, 576],
        [0, 24, 48, 72, 108, 156, 216, 288, 372, 480, 486, 492, 498, 576],
    ]

    /// Lines kept, in bitstream order, per `rateIndex` and block kind (long, short, mixed):
    /// whole subbands up to `keptBandwidth` (a subband is 18 lines, rate / 64 Hz), rounded
    /// up, for short and mixed blocks, to the next scalefactor band of all three windows.
    static let cutLines: [[Int]] = (0..<9).map { rateIndex in
        let rate = [44100, 48000, 32000][rateIndex % 3] >> [0, 1, 2][rateIndex / 3]
        let lines = min(576, 18 * ((keptBandwidth * 64 + rate - 1) / rate))
        let short = shortBands[rateIndex].first { $0 >= lines } ?? 576
        let long = longBands[rateIndex]
        let mixedStarts = long[0...8] + shortBands[rateIndex][3...].map { long[8] + $0 - shortBands[rateIndex][3] }
        let mixed = mixedStarts.first { $0 >= lines } ?? 576
        return [lines, short, mixed]
    }
}
