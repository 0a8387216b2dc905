// The pass of `SampleSummary`'s equity-curve initialisers (BacktestResearch) in 256-bit AVX
// registers, picked at run time: the same operations, lane for lane, as the Swift pass in
// 128-bit registers, so the two give the same bits (BlockChoiceTests compares them).
#ifndef C_RETURN_SUMS_H
#define C_RETURN_SUMS_H

#include <stdbool.h>
#include <stddef.h>

/// Σr and Σr² of the returns r = (e[i + 1] − e[i]) / e[i] over one range of periods, and the
/// smallest e[i] divided by (+∞ when none was).
typedef struct {
    double sum;
    double sumOfSquares;
    double lowest;
} BTRangeSums;

/// Whether this CPU and its operating system run AVX (the CPU's flag and the OS's saving of
/// the 256-bit registers).
bool bt_return_sums_avx_available(void);

/// For each range k < `ranges`, the periods bounds[k] ..< bounds[k + 1] (`bounds` holds
/// `ranges + 1` non-decreasing offsets; `equity` holds the value at the last bound), writes
/// `out[k]`. Each range is read from its own start, four periods at a time: a group whose four
/// differences are all +0 (flat: no position) is skipped, the others add their four returns
/// lane by lane (lanes 0 and 2 first when the lanes are summed); the periods left after the
/// groups are added one at a time, a flat one skipped. (Sixteen periods are tested at once
/// first: a flat stretch is skipped sixteen at a time, with the same result.) Call only when
/// ``bt_return_sums_avx_available`` is true.
void bt_return_sums_avx(const double *equity, const ptrdiff_t *bounds, ptrdiff_t ranges, BTRangeSums *out);

#endif
