/* Restores our warnings after an stb header (see stb_warnings_off.h). */
#if defined(__GNUC__)
#pragma GCC diagnostic pop
/* stb declares static functions for the parts compiled out (formats, writers) and never uses
 * them; GCC reports that at the end of the translation unit, after the pop above. */
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
