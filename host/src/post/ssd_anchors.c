/* The TF Object Detection API's SSD anchors (ssd_anchor_generator, i.e. create_ssd_anchors +
 * MultipleGridAnchorGenerator + tile_anchors), for SSD models that do not embed them. */
#include "detection.h"

#include <math.h>

#include "../error.h"

#define MAX_LAYERS 16
#define MAX_RATIOS 16

mcl_ssd_anchor_config mcl_ssd_anchor_config_default(void)
{
    /* The order of the ratios is the order of the boxes at each location (the COCO
     * pipeline's config lists 1, 2, 0.5, 3, 0.3333). */
    static const float ratios[5] = {1.0f, 2.0f, 0.5f, 3.0f, 1.0f / 3.0f};
    static const int grids[6] = {19, 10, 5, 3, 2, 1};
    mcl_ssd_anchor_config c;
    c.num_layers = 6;
    c.min_scale = 0.2f;
    c.max_scale = 0.95f;
    c.aspect_ratios = ratios;
    c.num_aspect_ratios = 5;
    c.interpolated_scale_aspect_ratio = 1.0f;
    c.reduce_boxes_in_lowest_layer = 1;
    c.feature_map_sizes = grids;
    return c;
}

/* The (scale, aspect ratio) of each box at one location of a layer; returns how many. */
static int box_specs(const mcl_ssd_anchor_config *c, int layer, double *scale, double *ratio)
{
    /* Scales are spread linearly from min to max over the layers, plus 1.0 after the last,
     * which only the interpolated scale sqrt(s_i * s_{i+1}) of the last layer uses. */
    double s = c->num_layers > 1
                   ? c->min_scale + (c->max_scale - c->min_scale) * layer / (c->num_layers - 1)
                   : c->min_scale;
    double next = layer + 1 < c->num_layers
                      ? c->min_scale + (c->max_scale - c->min_scale) * (layer + 1) /
                                           (c->num_layers - 1)
                      : 1.0;
    int n = 0;
    if (layer == 0 && c->reduce_boxes_in_lowest_layer) {
        /* The lowest layer has 3 boxes: a small square of scale 0.1 and the 2:1, 1:2 boxes. */
        scale[n] = 0.1;
        ratio[n++] = 1.0;
        scale[n] = s;
        ratio[n++] = 2.0;
        scale[n] = s;
        ratio[n++] = 0.5;
        return n;
    }
    for (int k = 0; k < c->num_aspect_ratios; k++) {
        scale[n] = s;
        ratio[n++] = c->aspect_ratios[k];
    }
    if (c->interpolated_scale_aspect_ratio > 0.0f) {
        scale[n] = sqrt(s * next);
        ratio[n++] = c->interpolated_scale_aspect_ratio;
    }
    return n;
}

static int config_ok(const mcl_ssd_anchor_config *c)
{
    if (!c || c->num_layers < 1 || c->num_layers > MAX_LAYERS || !c->feature_map_sizes ||
        c->num_aspect_ratios < 0 || c->num_aspect_ratios > MAX_RATIOS ||
        (c->num_aspect_ratios > 0 && !c->aspect_ratios))
        return 0;
    for (int i = 0; i < c->num_layers; i++)
        if (c->feature_map_sizes[i] < 1 || c->feature_map_sizes[i] > 4096) return 0;
    for (int k = 0; k < c->num_aspect_ratios; k++)
        if (!(c->aspect_ratios[k] > 0.0f)) return 0;
    return 1;
}

int mcl_ssd_anchor_count(const mcl_ssd_anchor_config *c)
{
    if (!config_ok(c)) return 0;
    double sc[MAX_RATIOS + 3], ra[MAX_RATIOS + 3];
    long long total = 0;
    for (int l = 0; l < c->num_layers; l++) {
        long long g = c->feature_map_sizes[l];
        total += g * g * box_specs(c, l, sc, ra);
    }
    return total > (1 << 26) ? 0 : (int)total;
}

mcl_status mcl_ssd_anchors_generate(const mcl_ssd_anchor_config *c, float *anchors, int max,
                                    mcl_error *err)
{
    int total = mcl_ssd_anchor_count(c);
    if (!total) return mcl_fail(err, MCL_ERR_ARGUMENT, "SSD anchors: invalid configuration");
    if (!anchors || max < total)
        return mcl_fail(err, MCL_ERR_ARGUMENT, "SSD anchors: room for %d of %d anchors", max,
                        total);
    double sc[MAX_RATIOS + 3], ra[MAX_RATIOS + 3];
    float *a = anchors;
    for (int l = 0; l < c->num_layers; l++) {
        int n = box_specs(c, l, sc, ra);
        int g = c->feature_map_sizes[l];
        /* A square input: base anchor 1x1; stride 1/g, centres at (i + 0.5) / g. */
        double stride = 1.0 / g;
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
                for (int b = 0; b < n; b++) {
                    double r = sqrt(ra[b]);
                    *a++ = (float)((y + 0.5) * stride);
                    *a++ = (float)((x + 0.5) * stride);
                    *a++ = (float)(sc[b] / r);
                    *a++ = (float)(sc[b] * r);
                }
    }
    return mcl_ok(err);
}
