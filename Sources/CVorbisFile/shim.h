#ifndef KEYSCAN_CVORBISFILE_SHIM_H
#define KEYSCAN_CVORBISFILE_SHIM_H

// vorbisfile.h otherwise defines four static ov_callbacks in every file that includes it;
// keyscan passes its own callbacks (reads that poll the caller's abort flag).
#define OV_EXCLUDE_STATIC_CALLBACKS
#include <vorbis/vorbisfile.h>

#endif
