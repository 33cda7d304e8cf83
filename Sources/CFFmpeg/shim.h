#ifndef KEYSCAN_CFFMPEG_SHIM_H
#define KEYSCAN_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libswresample/swresample.h>

// C macros Swift cannot import, exposed as functions.
static inline int keyscan_averror(int errnum) { return AVERROR(errnum); }
static inline int keyscan_averror_eof(void) { return AVERROR_EOF; }
static inline int keyscan_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t keyscan_av_nopts_value(void) { return AV_NOPTS_VALUE; }

#endif
