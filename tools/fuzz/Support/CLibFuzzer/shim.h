#ifndef KEYSCAN_CLIBFUZZER_SHIM_H
#define KEYSCAN_CLIBFUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, from the toolchain's clang runtime (libclang_rt.fuzzer, linked by
// -sanitize=fuzzer). It parses libFuzzer's flags from argv and calls `callback` once per
// input. Declared here because the runtime ships no header for it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
