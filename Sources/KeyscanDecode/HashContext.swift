import CFFmpeg

/// Owns one libavutil hash context (AVHashContext), for one digest.
final class HashContext {
    private let context: OpaquePointer

    /// `algorithm` is one of av_hash_names(): "SHA256", "MD5"…
    init(algorithm: String) throws(FFmpegError) {
        var fresh: OpaquePointer?
        try check(av_hash_alloc(&fresh, algorithm), "av_hash_alloc")
        context = try allocated(fresh, "av_hash_alloc")
        av_hash_init(context)
    }

    deinit {
        var owned: OpaquePointer? = context
        av_hash_freep(&owned)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        av_hash_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    func update<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// The digest in lowercase hex; the context is finished after this.
    func finalHex() -> String {
        // AV_HASH_MAX_SIZE is 64 bytes: 128 hex digits and the terminating NUL.
        var buffer = [UInt8](repeating: 0, count: 2 * 64 + 1)
        av_hash_final_hex(context, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}
