import CVorbisFile
import Glibc

/// Owns libogg's page synchroniser and one logical-stream state, and reads a file's Vorbis
/// packets in order: what `AudioStreamDigest` hashes for Ogg Vorbis that FFmpeg cannot
/// demux. Pages of other streams (a multiplexed video, say) are skipped; each Vorbis stream
/// that begins (a chained link) takes over from the one before.
final class OggPacketReader {
    private let sync: UnsafeMutablePointer<ogg_sync_state>
    private let stream: UnsafeMutablePointer<ogg_stream_state>
    private let descriptor: Int32
    /// The serial number of the Vorbis stream being read, once one has begun.
    private var serial: Int32?
    private var atEnd = false

    /// Bytes handed to libogg per read(2).
    static let chunkSize = 65_536

    init(path: String) throws(VorbisFileError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw VorbisFileError(call: "open", code: OV_EREAD, readFailure: .system(errno)) }
        sync = .allocate(capacity: 1)
        stream = .allocate(capacity: 1)
        // Both calls only zero the structs and cannot fail.
        ogg_sync_init(sync)
        ogg_stream_init(stream, 0)
    }

    deinit {
        ogg_stream_clear(stream)
        ogg_sync_clear(sync)
        stream.deallocate()
        sync.deallocate()
        close(descriptor)
    }

    /// Calls `body` with each packet of the Vorbis streams, in order, valid only during the
    /// call; `newStream` is true for the first packet of each stream.
    func forEachPacket(_ body: (_ packet: UnsafeRawBufferPointer, _ newStream: Bool) throws(VorbisFileError) -> Void)
        throws(VorbisFileError) {
        var page = ogg_page()
        var packet = ogg_packet()
        while try nextPage(&page) {
            let pageSerial = ogg_page_serialno(&page)
            var newStream = false
            if ogg_page_bos(&page) != 0 {
                // A stream begins: follow it if it is Vorbis (its first packet says so).
                guard Self.startsVorbis(page) else { continue }
                ogg_stream_reset_serialno(stream, pageSerial)
                serial = pageSerial
                newStream = true
            }
            guard pageSerial == serial else { continue }
            // -1 only for a page of another serial, excluded above.
            ogg_stream_pagein(stream, &page)
            while true {
                let result = ogg_stream_packetout(stream, &packet)
                if result == 0 { break }
                // -1 is a gap (a lost page); the packets after it come next.
                guard result == 1 else { continue }
                try body(UnsafeRawBufferPointer(start: packet.packet, count: packet.bytes), newStream)
                newStream = false
            }
        }
    }

    /// The next whole page; false at the end of the file. Garbage between pages is skipped.
    private func nextPage(_ page: inout ogg_page) throws(VorbisFileError) -> Bool {
        while true {
            let result = ogg_sync_pageout(sync, &page)
            if result == 1 { return true }
            if result < 0 { continue }  // skipped bytes that were no page
            if atEnd { return false }
            guard let buffer = ogg_sync_buffer(sync, Self.chunkSize) else {
                throw VorbisFileError(call: "ogg_sync_buffer", code: OV_EFAULT)
            }
            var count: Int
            repeat { count = read(descriptor, buffer, Self.chunkSize) } while count < 0 && errno == EINTR
            guard count >= 0 else { throw VorbisFileError(call: "read", code: OV_EREAD, readFailure: .system(errno)) }
            if count == 0 { atEnd = true }
            ogg_sync_wrote(sync, count)
        }
    }

    private static func startsVorbis(_ page: ogg_page) -> Bool {
        guard page.body_len >= 7, let body = page.body else { return false }
        return UnsafeRawBufferPointer(start: body, count: 7).elementsEqual([0x01] + Array("vorbis".utf8))
    }
}
