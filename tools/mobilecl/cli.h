/* Shared pieces of the mobilecl command-line tool. */
#ifndef MCL_CLI_H
#define MCL_CLI_H

#include <stdio.h>

#include "mobilecl.h"

/* Each command: argc/argv start after the command name; returns the process exit code. */
int mcl_cmd_devices(int argc, char **argv);
int mcl_cmd_info(int argc, char **argv);
int mcl_cmd_classify(int argc, char **argv);
int mcl_cmd_bench(int argc, char **argv);
int mcl_cmd_segment(int argc, char **argv);
int mcl_cmd_detect(int argc, char **argv);
int mcl_cmd_tune(int argc, char **argv);

/* Prints "mobilecl: <message>" on stderr, one line; returns 1. */
int mcl_cli_error(const char *fmt, ...);
/* Prints an mcl_error the same way; returns 1. */
int mcl_cli_report(const mcl_error *err);

/* The value of option argv[*i] (argv[*i + 1]), advancing *i; NULL (with an error printed)
 * when it is missing. */
const char *mcl_cli_value(int argc, char **argv, int *i);
/* Parses a non-negative integer option value; -1 (with an error printed) when invalid. */
int mcl_cli_int(const char *option, const char *value, int min, int max);

/* "auto" | "cpu" | "cl" and "auto" | "kernel" | "clblast"; 0 on success. */
int mcl_cli_parse_device(const char *value, mcl_device *device);
int mcl_cli_parse_pointwise(const char *value, mcl_pointwise *pointwise);
/* --precision fp32|fp16|fp16-math (OpenCL storage and arithmetic precision). */
int mcl_cli_parse_precision(const char *value, mcl_precision *precision);
/* The --precision word for p. */
const char *mcl_cli_precision_name(mcl_precision p);
/* --tune cached|off|on (OpenCL variant tuning; defined in cmd_tune.c). */
int mcl_cli_parse_tune(const char *value, mcl_tune *tune);

/* Prints the session's notice (a fallback to the CPU, at creation or during a run) once each
 * time it changes; `shown` (size bytes, initially "") remembers the last one printed. */
void mcl_cli_notice(const mcl_session *s, char *shown, size_t size);

/* Writes s as a JSON string literal (with quotes). */
void mcl_cli_json_string(FILE *out, const char *s);

/* --yuv FORMAT:WxH[:full|limited] and --rotate 0|90|180|270: IMAGE arguments are raw camera
 * frames, tightly packed, turned upright by the rotation (cli_frame.c).  format: 0 nv21,
 * 1 nv12, 2 i420, 3 yv12. */
typedef struct mcl_cli_frame {
    int set, format, width, height, rotation, rotation_given;
    mcl_yuv_range range;
} mcl_cli_frame;
/* Whether o is --yuv or --rotate (a value option of classify, detect and segment). */
int mcl_cli_is_frame_option(const char *o);
/* Parses one of them; 0 on success (else an error is printed). */
int mcl_cli_parse_frame_option(const char *o, const char *value, mcl_cli_frame *frame);
/* After all options: --rotate needs --yuv; 0 when consistent. */
int mcl_cli_check_frame_options(const mcl_cli_frame *frame);
/* An image file, or with frame->set a raw frame, as an RGB image. */
mcl_status mcl_cli_load_picture(const char *path, const mcl_cli_frame *frame, mcl_image *img,
                                mcl_error *err);

/* Monotonic clock in milliseconds. */
double mcl_cli_now_ms(void);

#endif
