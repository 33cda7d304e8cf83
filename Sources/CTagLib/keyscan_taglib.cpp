#include "keyscan_taglib.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <taglib/aifffile.h>
#include <taglib/apefile.h>
#include <taglib/asffile.h>
#include <taglib/fileref.h>
#include <taglib/taglib.h>
#include <taglib/flacfile.h>
#include <taglib/id3v2framefactory.h>
#include <taglib/id3v2header.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mpcfile.h>
#include <taglib/mpegfile.h>
#include <taglib/oggflacfile.h>
#include <taglib/opusfile.h>
#include <taglib/speexfile.h>
#include <taglib/tdebuglistener.h>
#include <taglib/textidentificationframe.h>
#include <taglib/tfilestream.h>
#include <taglib/trueaudiofile.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/wavpackfile.h>
#include <taglib/xiphcomment.h>

using namespace TagLib;

namespace {

// The fields, as TagLib 1.13 names them. Its PropertyMap maps "INITIALKEY" to TKEY and to
// the Xiph field but not to MP4 or ASF (TagLib 2.0 added those), so each type's own API is
// used; that also says exactly which frame is written.
const char *const id3v2Frame = "TKEY";
const char *const xiphField = "INITIALKEY";
const char *const xiphLegacyField = "KEY";  // older taggers' name; updated only if present
const char *const mp4Item = "----:com.apple.iTunes:initialkey";
const char *const asfAttribute = "WM/InitialKey";

enum class Kind { mpeg, wav, aiff, flac, oggVorbis, oggOpus, oggSpeex, oggFlac, mp4, asf, other };

// TagLib reports oddities of the files it parses on stderr through its debug listener;
// keyscan keeps stderr for its own messages and reports failures itself.
class SilentListener : public DebugListener {
public:
    void printMessage(const String &) override {}
};

SilentListener silentListener;

// TagLib's listener is one global; installed once (a function-local static is initialised
// exactly once, even when many threads open files at the same time).
void silenceTagLib() {
    static const bool installed = (setDebugListener(&silentListener), true);
    (void)installed;
}

Kind kindOf(File *file) {
    if (dynamic_cast<MPEG::File *>(file)) return Kind::mpeg;
    if (dynamic_cast<RIFF::WAV::File *>(file)) return Kind::wav;
    if (dynamic_cast<RIFF::AIFF::File *>(file)) return Kind::aiff;
    if (dynamic_cast<FLAC::File *>(file)) return Kind::flac;
    if (dynamic_cast<Ogg::Vorbis::File *>(file)) return Kind::oggVorbis;
    if (dynamic_cast<Ogg::Opus::File *>(file)) return Kind::oggOpus;
    if (dynamic_cast<Ogg::Speex::File *>(file)) return Kind::oggSpeex;
    if (dynamic_cast<Ogg::FLAC::File *>(file)) return Kind::oggFlac;
    if (dynamic_cast<MP4::File *>(file)) return Kind::mp4;
    if (dynamic_cast<ASF::File *>(file)) return Kind::asf;
    return Kind::other;
}

char *copyString(const String &s) {
    return strdup(s.toCString(true));
}

}  // namespace

struct keyscan_tag_file {
    // Declared first so it is destroyed last: the FileRef's File reads through it.
    std::unique_ptr<FileStream> stream;
    FileRef ref;
    Kind kind = Kind::other;

    File *file() const { return ref.file(); }

    // The ID3v2 tag of MPEG, WAV and AIFF files; nullptr if an MPEG file has none and
    // `create` is false (WAV and AIFF files always have one in memory).
    ID3v2::Tag *id3v2(bool create) const {
        switch (kind) {
        case Kind::mpeg: return static_cast<MPEG::File *>(file())->ID3v2Tag(create);
        case Kind::wav: return static_cast<RIFF::WAV::File *>(file())->ID3v2Tag();
        case Kind::aiff: return static_cast<RIFF::AIFF::File *>(file())->tag();
        default: return nullptr;
        }
    }

    // The Vorbis comment of FLAC and Ogg files.
    Ogg::XiphComment *xiph(bool create) const {
        switch (kind) {
        case Kind::flac: return static_cast<FLAC::File *>(file())->xiphComment(create);
        case Kind::oggVorbis: case Kind::oggOpus: case Kind::oggSpeex: case Kind::oggFlac:
            return dynamic_cast<Ogg::XiphComment *>(file()->tag());
        default: return nullptr;
        }
    }

    // The values of the main key field: TKEY, INITIALKEY, the iTunes item, WM/InitialKey.
    StringList mainValues() const {
        StringList values;
        if (ID3v2::Tag *tag = id3v2(false)) {
            for (ID3v2::Frame *frame : tag->frameList(id3v2Frame)) values.append(frame->toString());
        } else if (Ogg::XiphComment *comment = xiph(false)) {
            values = fieldValues(comment, xiphField);
        } else if (kind == Kind::mp4) {
            MP4::Tag *tag = static_cast<MP4::File *>(file())->tag();
            if (tag && tag->contains(mp4Item)) values = tag->item(mp4Item).toStringList();
        } else if (kind == Kind::asf) {
            ASF::Tag *tag = static_cast<ASF::File *>(file())->tag();
            if (tag) {
                for (const ASF::Attribute &attribute : tag->attribute(asfAttribute)) values.append(attribute.toString());
            }
        }
        return values;
    }

    static StringList fieldValues(Ogg::XiphComment *comment, const char *name) {
        const Ogg::FieldListMap &fields = comment->fieldListMap();
        Ogg::FieldListMap::ConstIterator found = fields.find(name);
        return found == fields.end() ? StringList() : found->second;
    }
};

namespace {

// The first value that is not blank, trimmed; null if there is none.
String firstNonBlank(const StringList &values) {
    for (const String &value : values) {
        String trimmed = value.stripWhiteSpace();
        if (!trimmed.isEmpty()) return trimmed;
    }
    return String();
}

bool isExactly(const StringList &values, const String &value) {
    return values.size() == 1 && values.front() == value;
}

ID3v2::Version id3v2Version(const ID3v2::Tag *tag) {
    // Keep a 2.3 tag 2.3: some players read nothing else. Anything else is written as 2.4,
    // TagLib's default (it cannot write 2.2).
    return tag && tag->header()->majorVersion() == 3 ? ID3v2::v3 : ID3v2::v4;
}

}  // namespace

extern "C" {

keyscan_tag_file *keyscan_tag_open(const char *path, int writable, keyscan_tag_status *status) {
    try {
        silenceTagLib();
        std::unique_ptr<keyscan_tag_file> handle(new keyscan_tag_file());
        handle->stream.reset(new FileStream(path, writable == 0));
        // FileStream falls back to read-only when it cannot open for writing.
        if (!handle->stream->isOpen() || (writable && handle->stream->readOnly())) {
            *status = KEYSCAN_TAG_CANNOT_OPEN;
            return nullptr;
        }
        handle->ref = FileRef(handle->stream.get(), false);
        if (!handle->file()) {
            *status = KEYSCAN_TAG_UNKNOWN_TYPE;
            return nullptr;
        }
        handle->kind = kindOf(handle->file());
        if (!handle->file()->isValid()) {
            *status = KEYSCAN_TAG_UNKNOWN_TYPE;
            return nullptr;
        }
        *status = KEYSCAN_TAG_OK;
        return handle.release();
    } catch (...) {
        *status = KEYSCAN_TAG_EXCEPTION;
        return nullptr;
    }
}

void keyscan_tag_close(keyscan_tag_file *file) {
    delete file;
}

const char *keyscan_tag_type(const keyscan_tag_file *file) {
    switch (file->kind) {
    case Kind::mpeg: return "MPEG";
    case Kind::wav: return "WAV";
    case Kind::aiff: return "AIFF";
    case Kind::flac: return "FLAC";
    case Kind::oggVorbis: return "Ogg Vorbis";
    case Kind::oggOpus: return "Ogg Opus";
    case Kind::oggSpeex: return "Ogg Speex";
    case Kind::oggFlac: return "Ogg FLAC";
    case Kind::mp4: return "MP4";
    case Kind::asf: return "ASF";
    case Kind::other: break;
    }
    File *other = file->file();
    if (dynamic_cast<APE::File *>(other)) return "APE";
    if (dynamic_cast<MPC::File *>(other)) return "Musepack";
    if (dynamic_cast<WavPack::File *>(other)) return "WavPack";
    if (dynamic_cast<TrueAudio::File *>(other)) return "TrueAudio";
    return "a tracker module";  // the only other types TagLib 1.13 reads: MOD, S3M, IT, XM
}

int keyscan_tag_supported(const keyscan_tag_file *file) {
    return file->kind != Kind::other;
}

const char *keyscan_tag_key_field(const keyscan_tag_file *file) {
    switch (file->kind) {
    case Kind::mpeg: case Kind::wav: case Kind::aiff: return "ID3v2 TKEY";
    case Kind::flac: case Kind::oggVorbis: case Kind::oggOpus: case Kind::oggSpeex: case Kind::oggFlac:
        return "Xiph comment INITIALKEY";
    case Kind::mp4: return "MP4 ----:com.apple.iTunes:initialkey";
    case Kind::asf: return "ASF WM/InitialKey";
    case Kind::other: return "none";
    }
    return "none";
}

char *keyscan_tag_key(const keyscan_tag_file *file) {
    try {
        String key = firstNonBlank(file->mainValues());
        if (key.isEmpty()) {
            if (Ogg::XiphComment *comment = file->xiph(false)) {
                key = firstNonBlank(keyscan_tag_file::fieldValues(comment, xiphLegacyField));
            }
        }
        return key.isEmpty() ? nullptr : copyString(key);
    } catch (...) {
        return nullptr;
    }
}

int keyscan_tag_key_is(const keyscan_tag_file *file, const char *value) {
    try {
        String wanted(value, String::UTF8);
        if (!isExactly(file->mainValues(), wanted)) return 0;
        if (Ogg::XiphComment *comment = file->xiph(false)) {
            StringList legacy = keyscan_tag_file::fieldValues(comment, xiphLegacyField);
            if (!legacy.isEmpty() && !isExactly(legacy, wanted)) return 0;
        }
        return 1;
    } catch (...) {
        return 0;
    }
}

keyscan_tag_status keyscan_tag_set_key(keyscan_tag_file *file, const char *value) {
    try {
        String key(value, String::UTF8);
        if (ID3v2::Tag *tag = file->id3v2(true)) {
            tag->removeFrames(id3v2Frame);
            // Latin-1 for a plain key; TagLib switches to UTF-8 (2.4) or UTF-16 (2.3) when
            // the text needs it.
            auto *frame = new ID3v2::TextIdentificationFrame(id3v2Frame, String::Latin1);
            frame->setText(key);
            tag->addFrame(frame);  // the tag owns the frame from here
        } else if (Ogg::XiphComment *comment = file->xiph(true)) {
            comment->addField(xiphField, key, true);
            if (comment->contains(xiphLegacyField)) comment->addField(xiphLegacyField, key, true);
        } else if (file->kind == Kind::mp4) {
            static_cast<MP4::File *>(file->file())->tag()->setItem(mp4Item, MP4::Item(StringList(key)));
        } else if (file->kind == Kind::asf) {
            static_cast<ASF::File *>(file->file())->tag()->setAttribute(asfAttribute, ASF::Attribute(key));
        } else {
            return KEYSCAN_TAG_UNSUPPORTED_TYPE;
        }
        return KEYSCAN_TAG_OK;
    } catch (...) {
        return KEYSCAN_TAG_EXCEPTION;
    }
}

keyscan_tag_status keyscan_tag_save(keyscan_tag_file *file) {
    try {
        bool saved;
        switch (file->kind) {
        case Kind::mpeg:
            // Only the ID3v2 tag: without DoNotDuplicate TagLib would copy title, artist… into
            // a new ID3v1 tag appended to the file.
            saved = static_cast<MPEG::File *>(file->file())->save(
                MPEG::File::ID3v2, File::StripNone, id3v2Version(file->id3v2(false)), File::DoNotDuplicate);
            break;
        case Kind::wav:
            // Only the ID3 chunk: the INFO chunk is left where and as it is.
            saved = static_cast<RIFF::WAV::File *>(file->file())->save(
                RIFF::WAV::File::ID3v2, File::StripNone, id3v2Version(file->id3v2(false)));
            break;
        case Kind::aiff:
            saved = static_cast<RIFF::AIFF::File *>(file->file())->save(id3v2Version(file->id3v2(false)));
            break;
        case Kind::other:
            return KEYSCAN_TAG_UNSUPPORTED_TYPE;
        default:
            saved = file->file()->save();
        }
        return saved ? KEYSCAN_TAG_OK : KEYSCAN_TAG_SAVE_FAILED;
    } catch (...) {
        return KEYSCAN_TAG_EXCEPTION;
    }
}

void keyscan_tag_free_string(char *string) {
    free(string);
}

const char *keyscan_taglib_version(void) {
#define KEYSCAN_STRINGIFY2(x) #x
#define KEYSCAN_STRINGIFY(x) KEYSCAN_STRINGIFY2(x)
    return KEYSCAN_STRINGIFY(TAGLIB_MAJOR_VERSION) "." KEYSCAN_STRINGIFY(TAGLIB_MINOR_VERSION) "." KEYSCAN_STRINGIFY(TAGLIB_PATCH_VERSION);
}

}  // extern "C"
