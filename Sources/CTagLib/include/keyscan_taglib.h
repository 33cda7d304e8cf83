#ifndef KEYSCAN_TAGLIB_H
#define KEYSCAN_TAGLIB_H

// A tiny C API over TagLib's C++ API: open a file, read and set its musical-key tag, save.
// TagLib 1.13's own C bindings (tag_c.h) cannot read or set arbitrary fields, so this shim
// exists; KeyscanTags is its only user.
//
// Every function catches C++ exceptions (TagLib throws none of its own, but allocation can),
// so none crosses into Swift.

#ifdef __cplusplus
extern "C" {
#endif

/// One audio file opened by TagLib. Owned by the caller; free with keyscan_tag_close.
typedef struct keyscan_tag_file keyscan_tag_file;

typedef enum {
    KEYSCAN_TAG_OK = 0,
    /// TagLib could not open the file (missing, unreadable, or not writable when asked to be).
    KEYSCAN_TAG_CANNOT_OPEN,
    /// TagLib does not recognise the file, by extension or content (FileRef's rules), or
    /// cannot parse it as the type it recognised.
    KEYSCAN_TAG_UNKNOWN_TYPE,
    /// The file is of a type keyscan does not write keys to (see keyscan_tag_supported).
    KEYSCAN_TAG_UNSUPPORTED_TYPE,
    /// TagLib's save() returned false.
    KEYSCAN_TAG_SAVE_FAILED,
    /// A C++ exception (out of memory) was caught.
    KEYSCAN_TAG_EXCEPTION,
} keyscan_tag_status;

/// Opens `path` as TagLib's FileRef would (type by extension, then by content), without
/// reading audio properties. `writable` 0 opens the file read-only: it cannot be saved.
/// Returns NULL and sets `*status` on failure.
keyscan_tag_file *keyscan_tag_open(const char *path, int writable, keyscan_tag_status *status);

void keyscan_tag_close(keyscan_tag_file *file);

/// TagLib's file type: "MPEG", "WAV", "AIFF", "FLAC", "Ogg Vorbis", "Ogg Opus", "Ogg Speex",
/// "Ogg FLAC", "MP4", "ASF", or for types keyscan does not write to, "APE", "Musepack",
/// "WavPack", "TrueAudio", "a tracker module". A static string.
const char *keyscan_tag_type(const keyscan_tag_file *file);

/// 1 if keyscan writes keys to this type: MPEG, WAV, AIFF, FLAC, Ogg (Vorbis, Opus, Speex,
/// FLAC), MP4 and ASF files. The other functions treat other types as having no key and
/// refuse to set one.
int keyscan_tag_supported(const keyscan_tag_file *file);

/// Where the key is written for this type: "ID3v2 TKEY", "Xiph comment INITIALKEY",
/// "MP4 ----:com.apple.iTunes:initialkey", "ASF WM/InitialKey". A static string.
const char *keyscan_tag_key_field(const keyscan_tag_file *file);

/// The key the file's tag already holds, trimmed, or NULL if none (or only whitespace):
/// TKEY (ID3v2), INITIALKEY then KEY (Xiph comments), the iTunes initialkey item (MP4),
/// WM/InitialKey (ASF). Free with keyscan_tag_free_string.
char *keyscan_tag_key(const keyscan_tag_file *file);

/// 1 if every key field the file has already equals `value` and the main one exists, so
/// writing `value` would change nothing; 0 otherwise.
int keyscan_tag_key_is(const keyscan_tag_file *file, const char *value);

/// Sets the key (UTF-8) in memory: the main field, and for Xiph comments also KEY if the
/// file has one. Creates the tag if the file has none (an ID3v2 tag for MPEG files).
keyscan_tag_status keyscan_tag_set_key(keyscan_tag_file *file, const char *value);

/// Writes the tag to disk. Only the tag that holds the key is written: an MPEG file's ID3v1
/// and APE tags and a WAV file's INFO chunk stay as they are, and an existing ID3v2.3 tag
/// stays version 2.3 (new ID3v2 tags are 2.4).
keyscan_tag_status keyscan_tag_save(keyscan_tag_file *file);

void keyscan_tag_free_string(char *string);

/// TagLib's version as "major.minor.patch", from the headers keyscan was built with (TagLib
/// 1.13 has no run-time version call; its soname, libtag.so.1, keeps the ABI). A static string.
const char *keyscan_taglib_version(void);

#ifdef __cplusplus
}
#endif

#endif
