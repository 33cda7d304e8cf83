#ifndef KEYSCAN_TAGLIBSYSTEM_SHIM_H
#define KEYSCAN_TAGLIBSYSTEM_SHIM_H

// TagLib's API is C++; only CTagLib's .cpp includes its headers. This module exists for
// pkg-config (flags and the `tag` library) and the apt provider, so it exposes the one
// header that is valid C.
#include <taglib/taglib_config.h>

#endif
