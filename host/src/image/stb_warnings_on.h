/* Restores our warnings after an stb header (see stb_warnings_off.h). */
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
