/* Top-k of a score vector (classification post-processing). */
#include "mobilecl.h"

#include <math.h>

/* True when score a ranks strictly before score b.  NaN ranks after every number, so a model
 * that produced a NaN never shows it above a real class. */
static int ranks_before(float a, float b)
{
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return a > b;
}

int mcl_top_k(const float *scores, int count, int k, mcl_class_score *top)
{
    if (!scores || !top || count <= 0 || k <= 0) return 0;
    if (k > count) k = count;

    /* Insertion into a list kept sorted, highest first.  An entry moves up only past entries
     * it strictly beats, and indices arrive in increasing order, so equal scores keep the
     * lower index first (a stable order, as TFLite's label_image and Coral's examples
     * print).  O(count * k): k is 1-5 in practice and count about a thousand. */
    int n = 0;
    for (int i = 0; i < count; i++) {
        float s = scores[i];
        if (n == k && !ranks_before(s, top[n - 1].score)) continue;
        int pos = n < k ? n : k - 1;
        while (pos > 0 && ranks_before(s, top[pos - 1].score)) {
            top[pos] = top[pos - 1];
            pos--;
        }
        top[pos].index = i;
        top[pos].score = s;
        if (n < k) n++;
    }
    return n;
}
