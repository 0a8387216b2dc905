#include "CReturnSums.h"

// No fused multiply-adds: each lane rounds after every operation, as Swift does.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

bool bt_return_sums_avx_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx");
}

// One group of four: skipped when flat (four differences of exactly +0; a NaN is not 0 and
// flows on), else its returns added lane by lane. minpd keeps its second operand when the first
// is NaN, as the Swift selection does.
#define BT_ADD_GROUP(previous, difference)                                                          \
    if (!_mm256_testz_si256(_mm256_castpd_si256(difference), _mm256_castpd_si256(difference))) {   \
        __m256d r = _mm256_div_pd(difference, previous);                                            \
        sums = _mm256_add_pd(sums, r);                                                              \
        squares = _mm256_add_pd(squares, _mm256_mul_pd(r, r));                                      \
        low = _mm256_min_pd(previous, low);                                                         \
    }

// Lanes (i, i + 1, i + 2, i + 3) hold what the Swift pass keeps in its two SIMD2 halves
// (i, i + 1) and (i + 2, i + 3). Each return is one correctly rounded division, so it is the
// same number whatever the registers: (e[i + 1] − e[i]) / e[i].
__attribute__((target("avx")))
static BTRangeSums range_sums(const double *e, ptrdiff_t n) {
    __m256d sums = _mm256_setzero_pd();
    __m256d squares = _mm256_setzero_pd();
    __m256d low = _mm256_set1_pd(__builtin_inf());
    ptrdiff_t i = 0;
    // Sixteen periods at a time, one test for a flat stretch (half of a search's curves is out
    // of the market); otherwise its four groups in order, each as below. The same groups are
    // skipped and added as one at a time, so the same bits.
    for (; i + 16 <= n; i += 16) {
        __m256d p0 = _mm256_loadu_pd(e + i), p1 = _mm256_loadu_pd(e + i + 4);
        __m256d p2 = _mm256_loadu_pd(e + i + 8), p3 = _mm256_loadu_pd(e + i + 12);
        __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(e + i + 1), p0);
        __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(e + i + 5), p1);
        __m256d d2 = _mm256_sub_pd(_mm256_loadu_pd(e + i + 9), p2);
        __m256d d3 = _mm256_sub_pd(_mm256_loadu_pd(e + i + 13), p3);
        __m256i any = _mm256_castpd_si256(_mm256_or_pd(_mm256_or_pd(d0, d1), _mm256_or_pd(d2, d3)));
        if (_mm256_testz_si256(any, any)) continue;
        BT_ADD_GROUP(p0, d0)
        BT_ADD_GROUP(p1, d1)
        BT_ADD_GROUP(p2, d2)
        BT_ADD_GROUP(p3, d3)
    }
    for (; i + 4 <= n; i += 4) {
        __m256d previous = _mm256_loadu_pd(e + i);
        __m256d difference = _mm256_sub_pd(_mm256_loadu_pd(e + i + 1), previous);
        BT_ADD_GROUP(previous, difference)
    }
    double s[4], q[4], l[4];
    _mm256_storeu_pd(s, sums);
    _mm256_storeu_pd(q, squares);
    _mm256_storeu_pd(l, low);
    // Swift: (a + b).sum() over its halves a = (s0, s1) and b = (s2, s3).
    BTRangeSums out;
    out.sum = (s[0] + s[2]) + (s[1] + s[3]);
    out.sumOfSquares = (q[0] + q[2]) + (q[1] + q[3]);
    double lowest = l[0] < l[1] ? l[0] : l[1];
    double lowest2 = l[2] < l[3] ? l[2] : l[3];
    out.lowest = lowest < lowest2 ? lowest : lowest2;
    for (; i < n; i++) {
        double p = e[i];
        double c = e[i + 1];
        if (c == p) continue;
        double r = (c - p) / p;
        out.sum += r;
        out.sumOfSquares += r * r;
        if (p < out.lowest) out.lowest = p;
    }
    return out;
}

__attribute__((target("avx")))
void bt_return_sums_avx(const double *equity, const ptrdiff_t *bounds, ptrdiff_t ranges, BTRangeSums *out) {
    for (ptrdiff_t k = 0; k < ranges; k++) {
        out[k] = range_sums(equity + bounds[k], bounds[k + 1] - bounds[k]);
    }
}

#else

bool bt_return_sums_avx_available(void) { return false; }

void bt_return_sums_avx(const double *equity, const ptrdiff_t *bounds, ptrdiff_t ranges, BTRangeSums *out) {
    (void)equity;
    (void)bounds;
    for (ptrdiff_t k = 0; k < ranges; k++) {
        BTRangeSums none = {0, 0, __builtin_inf()};
        out[k] = none;
    }
}

#endif
