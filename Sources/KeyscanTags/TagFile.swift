import CTagLib

/// TagLib's version, from the headers keyscan was built with (e.g. "1.13.0").
public var taglibVersion: String { String(cString: keyscan_taglib_version()) }

/// Owns one file opened by TagLib (through CTagLib); closed in deinit.
///
/// Read-only handles never write; a writable one writes only on `save()`.
final class TagFile {
    private let handle: OpaquePointer
    let path: String

    /// Opens `path` as TagLib's FileRef does (type by extension, then by content).
    /// `reportedAs` is the path error messages name (the user's, not the resolved one).
    init(path: String, writable: Bool, reportedAs: String) throws(TagError) {
        var status = KEYSCAN_TAG_OK
        guard let opened = keyscan_tag_open(path, writable ? 1 : 0, &status) else {
            throw TagError(status: status, call: "keyscan_tag_open", path: reportedAs, type: nil)
        }
        handle = opened
        self.path = path
    }

    deinit { keyscan_tag_close(handle) }

    /// TagLib's file type: "MPEG", "WAV", "AIFF", "FLAC", "Ogg Vorbis", "Ogg Opus", "MP4", "ASF"…
    var type: String { String(cString: keyscan_tag_type(handle)) }

    /// Whether keyscan writes keys to this type (MPEG, WAV, AIFF, FLAC, Ogg, MP4, ASF).
    var isSupported: Bool { keyscan_tag_supported(handle) != 0 }

    /// Where the key goes in this type: "ID3v2 TKEY", "Xiph comment INITIALKEY"…
    var keyField: String { String(cString: keyscan_tag_key_field(handle)) }

    /// The key the tag holds now, trimmed; nil if none or blank.
    var key: String? {
        guard let text = keyscan_tag_key(handle) else { return nil }
        defer { keyscan_tag_free_string(text) }
        return String(cString: text)
    }

    /// Whether every key field the file has is exactly `value` (writing it would change nothing).
    func keyIs(_ value: String) -> Bool { keyscan_tag_key_is(handle, value) != 0 }

    /// Sets the key in memory; `save()` writes it.
    func setKey(_ value: String, reportedAs: String) throws(TagError) {
        let status = keyscan_tag_set_key(handle, value)
        guard status == KEYSCAN_TAG_OK else {
            throw TagError(status: status, call: "keyscan_tag_set_key", path: reportedAs, type: type)
        }
    }

    func save(reportedAs: String) throws(TagError) {
        let status = keyscan_tag_save(handle)
        guard status == KEYSCAN_TAG_OK else {
            throw TagError(status: status, call: "keyscan_tag_save", path: reportedAs, type: type)
        }
    }
}
