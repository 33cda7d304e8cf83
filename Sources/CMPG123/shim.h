#ifndef KEYSCAN_CMPG123_SHIM_H
#define KEYSCAN_CMPG123_SHIM_H

// libmpg123's feed API: keyscan hands it the MP3 packets FFmpeg's demuxer reads.
// Large-file builds rename the symbols (mpg123_decode_frame → mpg123_decode_frame_64);
// the header's macros do that, and Swift calls the functions through them.
#include <sys/types.h>
#include <mpg123.h>

#endif
