// The vector part of `SampleSummary(returnsOf:range:)` (BacktestResearch) in 256-bit AVX
// registers, picked at run time: the same operations, lane for lane, as the Swift pass in
// 128-bit registers, so the two give the same bits (BlockChoiceTests compares them).
#ifndef C_RETURN_SUMS_H
#define C_RETURN_SUMS_H

#include <stdbool.h>
#include <stddef.h>

/// Σr and Σr² of the returns (e[i + 1] − e[i]) / e[i] for i < `next` (a multiple of 4), the
/// smallest e[i] divided by and the largest product of two paired, as the Swift pass keeps them.
typedef struct {
    double sum;
    double sumOfSquares;
    double lowest;
    double highest;
    ptrdiff_t next;
} BTReturnSums;

/// Whether this CPU and its operating system run AVX (the CPU's flag and the OS's saving of
/// the 256-bit registers).
bool bt_return_sums_avx_available(void);

/// The groups of four returns among the first `count` of `equity` (which holds `count + 1`
/// values), in AVX registers. Call only when ``bt_return_sums_avx_available`` is true.
BTReturnSums bt_return_sums_avx(const double *equity, ptrdiff_t count);

#endif
