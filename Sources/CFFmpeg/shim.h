#ifndef KEYSCAN_CFFMPEG_SHIM_H
#define KEYSCAN_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/hash.h>
#include <libswresample/swresample.h>

// C macros Swift cannot import, exposed as functions.
static inline int keyscan_averror(int errnum) { return AVERROR(errnum); }
static inline int keyscan_averror_eof(void) { return AVERROR_EOF; }
static inline int keyscan_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int keyscan_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int keyscan_averror_enoent(void) { return AVERROR(ENOENT); }
static inline int keyscan_averror_eacces(void) { return AVERROR(EACCES); }
static inline int keyscan_averror_eperm(void) { return AVERROR(EPERM); }
static inline int keyscan_averror_eisdir(void) { return AVERROR(EISDIR); }
static inline int keyscan_averror_eio(void) { return AVERROR(EIO); }
static inline int keyscan_averror_exit(void) { return AVERROR_EXIT; }
static inline int keyscan_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int keyscan_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int keyscan_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int64_t keyscan_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int keyscan_av_disposition_attached_pic(void) { return AV_DISPOSITION_ATTACHED_PIC; }

#endif
