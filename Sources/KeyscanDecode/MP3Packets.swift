/// An MP3 stream's packets read ahead into memory, in file order, after whatever rewrites
/// a packet before it is fed (`MPG123Decoder.readPacket`): what both ranges of a split
/// decode are fed from. Written once by `MP3PacketsBuilder`, then immutable, so the
/// decoding threads share it without a lock.
final class MP3Packets: @unchecked Sendable {
    struct Entry: Sendable {
        /// Byte range in `bytes`.
        let offset: Int
        let count: Int
        /// FFmpeg's skip side data (`Packet.samplesToSkip`), at the stream's rate.
        let skipStart: Int
        let skipEnd: Int
        /// The rate the packet's first header announces, 0 when it does not start with one.
        let headerRate: Int
    }

    let entries: [Entry]
    /// Owned: every packet's bytes, back to back.
    private let storage: UnsafeMutableRawBufferPointer

    fileprivate init(entries: [Entry], storage: UnsafeMutableRawBufferPointer) {
        self.entries = entries
        self.storage = storage
    }

    deinit { storage.deallocate() }

    var count: Int { entries.count }

    /// The bytes of packet `index`, valid while this object lives.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        let entry = entries[index]
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[entry.offset..<(entry.offset + entry.count)])
    }

    /// The rate of the packet's header, nil when it does not start with one.
    func headerRate(_ index: Int) -> Int? { entries[index].headerRate == 0 ? nil : entries[index].headerRate }
}

/// Collects packets into an `MP3Packets` within a fixed capacity (the file's size: packets
/// are a part of its bytes).
struct MP3PacketsBuilder: ~Copyable {
    private var storage: UnsafeMutableRawBufferPointer?
    private var used = 0
    private var entries: [Entry] = []
    private typealias Entry = MP3Packets.Entry

    init(capacity: Int) {
        storage = .allocate(byteCount: max(1, capacity), alignment: 16)
        entries.reserveCapacity(capacity / 400 + 16)
    }

    deinit { storage?.deallocate() }

    /// Appends a copy of `bytes`; false, with nothing appended, when it does not fit.
    mutating func append(_ bytes: UnsafeRawBufferPointer, skip: (start: Int, end: Int)) -> Bool {
        guard let storage, used + bytes.count <= storage.count else { return false }
        if let base = bytes.baseAddress, !bytes.isEmpty {
            (storage.baseAddress! + used).copyMemory(from: base, byteCount: bytes.count)
        }
        entries.append(Entry(offset: used, count: bytes.count, skipStart: skip.start, skipEnd: skip.end,
                             headerRate: MP3SideInfo.sampleRate(ofHeaderAt: bytes) ?? 0))
        used += bytes.count
        return true
    }

    /// The packets collected; the builder hands its memory over.
    consuming func finish() -> MP3Packets {
        let packets = MP3Packets(entries: entries, storage: storage!)
        storage = nil
        return packets
    }
}
