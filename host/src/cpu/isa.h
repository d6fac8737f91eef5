/* What this build can pick between at run time on x86: the AVX-512 kernels (each file keeps
 * them under MCL_HAVE_X86_DISPATCH and checks the CPU before calling one), and the portable
 * loops also compiled for AVX2 (MCL_GENERIC_CLONES). */
#ifndef MCL_CPU_ISA_H
#define MCL_CPU_ISA_H

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MCL_HAVE_X86_DISPATCH 1
#include <immintrin.h>
#endif

/* A portable function marked with this is compiled twice on x86, for AVX2 and for the
 * baseline, and the ifunc resolver GCC generates picks one at load time: 8-wide vectors
 * instead of SSE2's 4 on machines without AVX-512, with the same results (the clone targets
 * AVX2 without FMA, so no multiply-add is fused).  GCC only, and not under
 * ThreadSanitizer: the resolver runs during relocation, before TSan's runtime, and crashes. */
#if defined(MCL_HAVE_X86_DISPATCH) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__)
#define MCL_GENERIC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MCL_GENERIC_CLONES
#endif

#endif
