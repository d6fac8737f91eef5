/* libFuzzer driver for the yuv target: see fuzz_entries.h and docs/ROBUSTNESS.md. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)mcl_fuzz_yuv(data, size);
    return 0;
}
