/*
 * Bouwstroom engine core: the joint split of a plan's marginal home counts into blocks.
 * See blocks.h and docs/blocks.md.
 */
#include "blocks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* A remainder below this is an integer reached through floating-point error. */
#define REM_EPS 1e-9
/* The rounding tables: at most (type x tenure) rows, period columns. */
#define MAX_ROWS (BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS)
#define MAX_CELLS (MAX_ROWS * BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS)

/* ---- iterative proportional fitting ---- */

static size_t cell_count(size_t ndim, const size_t *dims, size_t *stride) {
    size_t n = 1;
    for (size_t d = ndim; d-- > 0;) {
        stride[d] = n;
        n *= dims[d];
    }
    return n;
}

/* The sums of x over every dimension but d, into s[0..dims[d]-1]. */
static void slice_sums(const double *x, size_t ncell, size_t d, const size_t *dims, const size_t *stride, double *s) {
    memset(s, 0, dims[d] * sizeof *s);
    for (size_t i = 0; i < ncell; i++) s[(i / stride[d]) % dims[d]] += x[i];
}

int bs_ipf(double *x, size_t ndim, const size_t *dims, const double *const *targets, int max_iter, double tol) {
    if (ndim < 1 || ndim > 3) return -1;
    size_t stride[3];
    size_t ncell = cell_count(ndim, dims, stride);
    size_t maxdim = 0;
    for (size_t d = 0; d < ndim; d++) {
        if (dims[d] > maxdim) maxdim = dims[d];
        for (size_t c = 0; c < dims[d]; c++)
            if (!(targets[d][c] >= 0)) return -1;
    }
    double *s = bs_calloc(maxdim ? maxdim : 1, sizeof *s);
    int rc = -1;
    for (int it = 1; it <= max_iter && rc < 0; it++) {
        for (size_t d = 0; d < ndim; d++) {
            slice_sums(x, ncell, d, dims, stride, s);
            for (size_t c = 0; c < dims[d]; c++)
                if (s[c] <= 0 && targets[d][c] > tol) goto out;
            for (size_t i = 0; i < ncell; i++) {
                size_t c = (i / stride[d]) % dims[d];
                x[i] = s[c] > 0 ? x[i] * (targets[d][c] / s[c]) : 0;
            }
        }
        double off = 0;
        for (size_t d = 0; d < ndim; d++) {
            slice_sums(x, ncell, d, dims, stride, s);
            for (size_t c = 0; c < dims[d]; c++) off = fmax(off, fabs(s[c] - targets[d][c]));
        }
        if (off <= tol) rc = it;
    }
out:
    bs_free(s);
    return rc;
}

/* ---- controlled rounding ---- */

typedef struct rounding {
    size_t rows, cols;
    const double *rem; /* remainder per cell */
    unsigned char *up; /* 1: the cell is rounded up */
    long *need_col;    /* units each column still needs */
    bool allow_all;    /* also cells without a remainder (the fallback pass) */
    bool seen_row[MAX_ROWS], seen_col[MAX_ROWS];
} rounding;

static bool candidate(const rounding *r, size_t cell) {
    return r->allow_all || r->rem[cell] > REM_EPS;
}

/* One augmenting path from row i to a column that still needs a unit (Cox 1987): rounds up
 * one more cell of row i, re-routing earlier choices so every other row keeps its count. */
static bool augment(rounding *r, size_t i) {
    for (size_t j = 0; j < r->cols; j++) {
        size_t cell = i * r->cols + j;
        if (r->seen_col[j] || r->up[cell] || !candidate(r, cell)) continue;
        r->seen_col[j] = true;
        if (r->need_col[j] > 0) {
            r->up[cell] = 1;
            r->need_col[j]--;
            return true;
        }
        for (size_t i2 = 0; i2 < r->rows; i2++) {
            if (r->seen_row[i2] || !r->up[i2 * r->cols + j]) continue;
            r->seen_row[i2] = true;
            if (augment(r, i2)) {
                r->up[i2 * r->cols + j] = 0;
                r->up[cell] = 1;
                return true;
            }
        }
    }
    return false;
}

typedef struct ranked {
    double rem;
    size_t cell;
} ranked;

static int by_remainder(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

/* The floors of x into out and the remainders into rem; the units each row and column still
 * needs into need_row and need_col. -1 when a row's or column's floors exceed its sum. */
static int floors(const double *x, size_t rows, size_t cols, const long *rsum, const long *csum, long *out, double *rem,
                  long *need_row, long *need_col) {
    for (size_t i = 0; i < rows; i++) need_row[i] = rsum[i];
    for (size_t j = 0; j < cols; j++) need_col[j] = csum[j];
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t c = i * cols + j;
            double v = x[c] > 0 ? x[c] : 0;
            double f = floor(v + REM_EPS);
            out[c] = (long)f;
            rem[c] = v - f > 0 ? v - f : 0;
            need_row[i] -= out[c];
            need_col[j] -= out[c];
        }
    for (size_t i = 0; i < rows; i++)
        if (need_row[i] < 0) return -1;
    for (size_t j = 0; j < cols; j++)
        if (need_col[j] < 0) return -1;
    return 0;
}

int bs_round_controlled(const double *x, size_t rows, size_t cols, const long *rsum, const long *csum, long *out) {
    if (rows == 0 || cols == 0 || rows > MAX_ROWS || cols > MAX_ROWS) return -1;
    size_t n = rows * cols;
    double *rem = bs_calloc(n, sizeof *rem);
    long need_row[MAX_ROWS], need_col[MAX_ROWS];
    int rc = floors(x, rows, cols, rsum, csum, out, rem, need_row, need_col);
    long total_row = 0, total_col = 0;
    for (size_t i = 0; i < rows; i++) total_row += need_row[i];
    for (size_t j = 0; j < cols; j++) total_col += need_col[j];
    if (rc == 0 && total_row != total_col) rc = -1;
    unsigned char *up = bs_calloc(n, 1);
    /* Hamilton: the largest remainders first, while their row and column still need one. */
    ranked *order = bs_calloc(n, sizeof *order);
    for (size_t c = 0; c < n; c++) order[c] = (ranked){rem[c], c};
    qsort(order, n, sizeof *order, by_remainder);
    for (size_t k = 0; rc == 0 && k < n && order[k].rem > REM_EPS; k++) {
        size_t i = order[k].cell / cols, j = order[k].cell % cols;
        if (need_row[i] > 0 && need_col[j] > 0) {
            up[order[k].cell] = 1;
            need_row[i]--;
            need_col[j]--;
        }
    }
    /* The rest along augmenting paths; cells without a remainder only if nothing else fits. */
    rounding r = {.rows = rows, .cols = cols, .rem = rem, .up = up, .need_col = need_col};
    for (size_t i = 0; rc == 0 && i < rows; i++)
        while (rc == 0 && need_row[i] > 0) {
            memset(r.seen_row, 0, sizeof r.seen_row);
            memset(r.seen_col, 0, sizeof r.seen_col);
            r.seen_row[i] = true;
            if (augment(&r, i)) {
                need_row[i]--;
            } else if (!r.allow_all) {
                r.allow_all = true;
            } else {
                rc = -1;
            }
        }
    for (size_t c = 0; rc == 0 && c < n; c++) out[c] += up[c];
    bs_free(order);
    bs_free(up);
    bs_free(rem);
    return rc;
}

/* ---- the split ---- */

/* Splits three non-negative marginals p (each summing to the same total) into an integer
 * table t[n0][n1][n2] with exactly these marginals. */
static int split_part(long p[BS_SPLIT_DIMS][BS_SPLIT_MAX_CATS], const size_t *n, long *t) {
    size_t n3 = n[0] * n[1] * n[2], rows = n[0] * n[1];
    memset(t, 0, n3 * sizeof *t);
    long total = 0;
    for (size_t c = 0; c < n[0]; c++) total += p[0][c];
    if (total == 0) return 0;
    double tgt[BS_SPLIT_DIMS][BS_SPLIT_MAX_CATS], x[MAX_CELLS], y[MAX_ROWS] = {0}, ty[MAX_ROWS] = {0};
    for (size_t d = 0; d < BS_SPLIT_DIMS; d++)
        for (size_t c = 0; c < n[d]; c++) tgt[d][c] = (double)p[d][c];
    const double *targets[3] = {tgt[0], tgt[1], tgt[2]};
    for (size_t i = 0; i < n3; i++) x[i] = 1.0; /* the uniform seed */
    if (bs_ipf(x, 3, n, targets, 100, 1e-7) < 0) return -1;
    /* type x tenure: the fit summed over the periods, rounded to the type and tenure sums */
    long yr[MAX_ROWS];
    for (size_t r = 0; r < rows; r++) {
        y[r] = 0;
        for (size_t k = 0; k < n[2]; k++) y[r] += x[r * n[2] + k];
    }
    if (bs_round_controlled(y, n[0], n[1], p[0], p[1], yr) != 0) return -1;
    /* (type, tenure) x period: the fit refitted to the rounded rows, rounded to the periods */
    for (size_t r = 0; r < rows; r++) {
        ty[r] = (double)yr[r];
        if (y[r] <= 0 && yr[r] > 0)
            for (size_t k = 0; k < n[2]; k++) x[r * n[2] + k] = tgt[2][k];
    }
    const size_t dims2[2] = {rows, n[2]};
    const double *targets2[2] = {ty, tgt[2]};
    if (bs_ipf(x, 2, dims2, targets2, 1000, 1e-7) < 0) return -1;
    return bs_round_controlled(x, rows, n[2], yr, p[2], t);
}

static int emit(const long *t, const size_t *n, bool correction, bs_split_block *out, int nb) {
    for (size_t i = 0; i < n[0]; i++)
        for (size_t j = 0; j < n[1]; j++)
            for (size_t k = 0; k < n[2]; k++) {
                long v = t[(i * n[1] + j) * n[2] + k];
                if (v == 0) continue;
                out[nb++] = (bs_split_block){{i, j, k}, correction ? -v : v, correction};
            }
    return nb;
}

int bs_blocks_split(const bs_split_margin m[BS_SPLIT_DIMS], bs_split_block *out) {
    size_t n[BS_SPLIT_DIMS];
    long pos[BS_SPLIT_DIMS][BS_SPLIT_MAX_CATS], neg[BS_SPLIT_DIMS][BS_SPLIT_MAX_CATS];
    long total[BS_SPLIT_DIMS], possum[BS_SPLIT_DIMS], s = 0;
    for (size_t d = 0; d < BS_SPLIT_DIMS; d++) {
        n[d] = m[d].n;
        if (n[d] < 1 || n[d] > BS_SPLIT_MAX_CATS || m[d].unknown >= n[d] || !m[d].counts) return -1;
        total[d] = possum[d] = 0;
        for (size_t c = 0; c < n[d]; c++) {
            long v = m[d].counts[c];
            pos[d][c] = v > 0 ? v : 0;
            neg[d][c] = v < 0 ? -v : 0;
            total[d] += v;
            possum[d] += pos[d][c];
        }
        if (total[d] != total[0]) return -1;
        if (possum[d] > s) s = possum[d];
    }
    /* Balance through "unknown": every positive part sums to s, every negative one to s - T. */
    for (size_t d = 0; d < BS_SPLIT_DIMS; d++) {
        pos[d][m[d].unknown] += s - possum[d];
        neg[d][m[d].unknown] += s - possum[d];
    }
    long t[BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS * BS_SPLIT_MAX_CATS];
    if (split_part(pos, n, t) != 0) return -1;
    int nb = emit(t, n, false, out, 0);
    if (split_part(neg, n, t) != 0) return -1;
    return emit(t, n, true, out, nb);
}
