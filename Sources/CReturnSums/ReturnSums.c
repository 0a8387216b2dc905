#include "CReturnSums.h"

// No fused multiply-adds: each lane rounds after every operation, as Swift does.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

bool bt_return_sums_avx_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx");
}

// Lanes (i, i + 1, i + 2, i + 3) hold what the Swift pass keeps in its two SIMD2 halves
// (i, i + 1) and (i + 2, i + 3): the product of the pair (e[i], e[i + 2]) and of
// (e[i + 1], e[i + 3]), one division for the four reciprocals, the same sums.
__attribute__((target("avx")))
BTReturnSums bt_return_sums_avx(const double *e, ptrdiff_t n) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d sums = _mm256_setzero_pd();
    __m256d squares = _mm256_setzero_pd();
    __m256d low = _mm256_set1_pd(__builtin_inf());
    __m256d high = _mm256_set1_pd(-__builtin_inf());
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d previous = _mm256_loadu_pd(e + i);
        __m256d current = _mm256_loadu_pd(e + i + 1);
        __m256d difference = _mm256_sub_pd(current, previous);
        // Flat: four differences of exactly +0 (a NaN is not 0 and flows on).
        if (_mm256_testz_si256(_mm256_castpd_si256(difference), _mm256_castpd_si256(difference))) continue;
        __m256d paired = _mm256_permute2f128_pd(previous, previous, 1);
        __m256d product = _mm256_mul_pd(previous, paired);
        __m256d inverse = _mm256_div_pd(one, product);
        __m256d r = _mm256_mul_pd(difference, _mm256_mul_pd(inverse, paired));
        sums = _mm256_add_pd(sums, r);
        squares = _mm256_add_pd(squares, _mm256_mul_pd(r, r));
        // minpd/maxpd keep the second operand when either is NaN, as the Swift selections do in
        // lanes 0 and 1; lanes 2 and 3 compare their pair the other way round, which can differ
        // only with a NaN in the curve, and a NaN makes the sums NaN: the exact path either way.
        low = _mm256_min_pd(_mm256_min_pd(paired, previous), low);
        high = _mm256_max_pd(product, high);
    }
    double s[4], q[4], l[4], h[4];
    _mm256_storeu_pd(s, sums);
    _mm256_storeu_pd(q, squares);
    _mm256_storeu_pd(l, low);
    _mm256_storeu_pd(h, high);
    // Swift: (a + b).sum() over its halves a = (s0, s1) and b = (s2, s3).
    BTReturnSums out;
    out.sum = (s[0] + s[2]) + (s[1] + s[3]);
    out.sumOfSquares = (q[0] + q[2]) + (q[1] + q[3]);
    double lowest = l[0] < l[2] ? l[0] : l[2];
    double lowest2 = l[1] < l[3] ? l[1] : l[3];
    out.lowest = lowest < lowest2 ? lowest : lowest2;
    double highest = h[0] > h[2] ? h[0] : h[2];
    double highest2 = h[1] > h[3] ? h[1] : h[3];
    out.highest = highest > highest2 ? highest : highest2;
    out.next = i;
    return out;
}

#else

bool bt_return_sums_avx_available(void) { return false; }

BTReturnSums bt_return_sums_avx(const double *e, ptrdiff_t n) {
    (void)e;
    (void)n;
    BTReturnSums out = {0, 0, __builtin_inf(), -__builtin_inf(), 0};
    return out;
}

#endif
