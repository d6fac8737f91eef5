/*
 * TensorFlow Lite flatbuffer (schema version 3, identifier "TFL3") -> mcl_graph.
 *
 * Reads the first subgraph: tensors with their shapes, types and quantization, constant
 * tensors dequantized to float (integer constants such as reshape shapes and axes widened to
 * int64), and the ops mobilecl runs with their builtin options.  Every offset, length and index
 * in the file is checked; a malformed file gives MCL_ERR_MODEL, an op, type or option mobilecl
 * does not run gives MCL_ERR_UNSUPPORTED naming it and the op index.
 */
#ifndef MCL_TFLITE_READER_H
#define MCL_TFLITE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "mobilecl.h"

/* Parses a .tflite flatbuffer into g (first subgraph only).  On success g->file = file and g
 * owns it (mcl_graph_release frees it; custom_options point into it); on failure the caller
 * still owns file and g is left released/zeroed.  file must come from malloc. */
mcl_status mcl_tflite_read(uint8_t *file, size_t size, mcl_graph *g, mcl_error *err);

/* The same without taking the file: on success the graph holds no pointer into it (the
 * custom options are copied into an owned g->file), so the caller frees it at once.
 * *dequantize_ms (may be NULL) receives the time spent filling the constants' floats. */
mcl_status mcl_tflite_read_borrowed(const uint8_t *file, size_t size, mcl_graph *g,
                                    double *dequantize_ms, mcl_error *err);

#endif
