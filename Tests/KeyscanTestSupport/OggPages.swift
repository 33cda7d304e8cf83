/// Ogg pages read and written byte by byte, for tests that build Ogg files FFmpeg's
/// encoder never writes (repeated header sets, damaged pages) or repair one that FFmpeg
/// refuses. Handles what those tests need: pages whose packets all end on the page.
public struct OggPage: Equatable {
    /// Bit 0: continues a packet; 1: first page of the stream (BOS); 2: last page (EOS).
    public var headerType: UInt8
    public var granule: Int64
    public var serial: UInt32
    /// The packets that end on this page, whole.
    public var packets: [[UInt8]]

    public init(headerType: UInt8 = 0, granule: Int64, serial: UInt32, packets: [[UInt8]]) {
        self.headerType = headerType
        self.granule = granule
        self.serial = serial
        self.packets = packets
    }

    /// The pages of `bytes`, or nil if they are not a chain of whole pages whose packets
    /// all end on their page.
    public static func parse(_ bytes: [UInt8]) -> [OggPage]? {
        var pages: [OggPage] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 27 <= bytes.count, bytes[offset..<(offset + 4)].elementsEqual("OggS".utf8) else { return nil }
            let segments = Int(bytes[offset + 26])
            guard offset + 27 + segments <= bytes.count else { return nil }
            let lacing = bytes[(offset + 27)..<(offset + 27 + segments)]
            var body = offset + 27 + segments
            guard lacing.last.map({ $0 < 255 }) ?? true else { return nil }
            var packets: [[UInt8]] = []
            var packet: [UInt8] = []
            for length in lacing {
                guard body + Int(length) <= bytes.count else { return nil }
                packet += bytes[body..<(body + Int(length))]
                body += Int(length)
                if length < 255 { packets.append(packet); packet = [] }
            }
            pages.append(OggPage(headerType: bytes[offset + 5], granule: Int64(littleEndian: load(bytes, offset + 6)),
                                 serial: UInt32(littleEndian: load(bytes, offset + 14)), packets: packets))
            offset = body
        }
        return pages
    }

    /// `pages` as bytes, numbered from 0 in order, each with its CRC.
    public static func write(_ pages: [OggPage]) -> [UInt8] {
        var out: [UInt8] = []
        for (sequence, page) in pages.enumerated() {
            var lacing: [UInt8] = []
            for packet in page.packets {
                lacing += [UInt8](repeating: 255, count: packet.count / 255) + [UInt8(packet.count % 255)]
            }
            precondition(lacing.count <= 255, "a test page holds at most 255 segments")
            var bytes = Array("OggS".utf8) + [0, page.headerType]
            bytes += littleEndian(UInt64(bitPattern: page.granule)) + littleEndian(page.serial) + littleEndian(UInt32(sequence))
            bytes += [0, 0, 0, 0, UInt8(lacing.count)] + lacing + page.packets.joined()
            let crc = crc32(bytes)
            bytes.replaceSubrange(22..<26, with: littleEndian(crc))
            out += bytes
        }
        return out
    }

    /// Whether a packet is a Vorbis header: identification (1), comment (3) or setup (5).
    public static func isVorbisHeader(_ packet: [UInt8]) -> Bool {
        packet.count >= 7 && [1, 3, 5].contains(packet[0]) && packet[1..<7].elementsEqual("vorbis".utf8)
    }

    /// The Ogg CRC: polynomial 0x04C11DB7, not reflected, initial value 0, over the page
    /// with its CRC field zeroed.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }

    private static func load<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int) -> T {
        var value: T = 0
        for i in 0..<(T.bitWidth / 8) { value |= T(bytes[offset + i]) << (8 * i) }
        return value
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
