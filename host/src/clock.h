/* A monotonic clock for the start-up breakdown (mcl_startup_times). */
#ifndef MCL_CLOCK_H
#define MCL_CLOCK_H

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double mcl_now_ms(void);

#endif
