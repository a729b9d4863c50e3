/*
 * Bouwstroom engine core: the joint split of a plan's separate home counts into blocks
 * (issue 18 item 1; the decision: docs/blocks.md).
 *
 * A plan file gives only separate totals (marginals) per home type, per tenure and per
 * period, each adding up to the same number of homes, with negative "unknown" entries that
 * correct the split. bs_blocks_split turns them into blocks (cells of type x tenure x
 * period) whose sums per category equal every marginal exactly:
 *
 * 1. each marginal is split into a non-negative part and a negative part; the parts are
 *    balanced through the marginal's "unknown" category so that all positive parts have one
 *    sum S and all negative parts one sum S - T (T the plan's total);
 * 2. each part is fitted to a joint table by iterative proportional fitting (Deming &
 *    Stephan 1940) from a uniform seed;
 * 3. the fitted table is rounded to integers that keep the marginals exactly: first the
 *    type x tenure table, then (type, tenure) x period, each by a controlled rounding —
 *    every cell becomes its floor or its ceiling, the cells with the largest remainders
 *    rounded up first (Hamilton's largest-remainder method) and, where that choice would
 *    break a row or column sum, re-routed along augmenting paths (Cox 1987, "A constructive
 *    procedure for unbiased controlled rounding", JASA 82:520-524);
 * 4. the negative part's cells come out as correction blocks (negative homes, flagged).
 *
 * Pure and deterministic: the same marginals give the same blocks in the same order.
 */
#ifndef BS_BLOCKS_H
#define BS_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>

/* Number of marginals (type, tenure, period) and the most categories one may have. */
#define BS_SPLIT_DIMS 3
#define BS_SPLIT_MAX_CATS 8
/* The most blocks bs_blocks_split writes: every cell twice (positive and correction). */
#define BS_SPLIT_MAX_BLOCKS (2 * BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS)

/* One marginal: the count of homes per category (negative allowed: a correction), the number
 * of categories (1 .. BS_SPLIT_MAX_CATS) and the index of the "unknown" category, which
 * takes up the balance between the positive and the negative part. */
typedef struct bs_split_margin {
    const long *counts;
    size_t n;
    size_t unknown;
} bs_split_margin;

/* One block of the split: its category in each marginal (index into that marginal's
 * counts), its number of homes (> 0; < 0 for a correction block) and the correction flag. */
typedef struct bs_split_block {
    size_t cat[BS_SPLIT_DIMS];
    long homes;
    bool correction;
} bs_split_block;

/* Iterative proportional fitting (Deming & Stephan 1940, "On a least squares adjustment of
 * a sampled frequency table when the expected marginal totals are known", Ann. Math.
 * Statist. 11:427-444) of a dense row-major table x of ndim (1..3) dimensions of sizes
 * dims[d] to the target marginals targets[d][0..dims[d]-1] (in homes; all targets of one
 * table must have the same sum). x is the seed on entry (non-negative) and the fit on return.
 * Stops when no marginal is off by more than tol homes or after max_iter cycles.
 * Returns the number of cycles run (>= 1), or -1 when a target is negative, when a
 * positive target meets an all-zero slice of the seed, or when it did not converge. */
int bs_ipf(double *x, size_t ndim, const size_t *dims, const double *const *targets, int max_iter, double tol);

/* Controlled rounding of a rows x cols table x (row-major, non-negative) whose row sums are
 * rsum and column sums csum (integers, in homes; x's sums equal them up to rounding error):
 * writes out[rows*cols], integers with exactly these row and column sums, each cell the floor
 * or the ceiling of x, largest remainders first, then augmenting paths (Cox 1987). Returns 0,
 * or -1 when the sums are inconsistent (a row's floors exceed its sum, or the sums of rsum and
 * csum differ). rows and cols at most BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS. */
int bs_round_controlled(const double *x, size_t rows, size_t cols, const long *rsum, const long *csum, long *out);

/* Splits the three marginals m[0..2] (home type, tenure, period; each in homes, each adding
 * up to the same total) into blocks, written to out (room for BS_SPLIT_MAX_BLOCKS) in a fixed
 * order: the positive blocks by (type, tenure, period) index, then the correction blocks. For
 * every marginal and category, the homes of the blocks in that category sum to the marginal's
 * count exactly. Returns the number of blocks (0 for a plan without homes), or -1 when a
 * marginal has no or too many categories, its unknown index is out of range, or the marginals'
 * totals differ. */
int bs_blocks_split(const bs_split_margin m[BS_SPLIT_DIMS], bs_split_block *out);

#endif
