/*
 * The fuzz targets of Bouwstroom's own parsers (docs/operations.md "Fuzzing"). Each
 * fuzz_<name>.c defines LLVMFuzzerTestOneInput and calls the pure functions directly (no
 * I/O, no database). Built twice:
 *   - with clang and -fsanitize=fuzzer,address,undefined as libFuzzer programs (cmake
 *     -DBS_FUZZ=ON, build-fuzz/; `make fuzz` runs each for FUZZ_SECONDS);
 *   - in every ordinary build with replay.c as fuzz_<name>_replay, a plain program that runs
 *     the inputs it is given once (ctest fuzz_replay_<name>: the committed corpus and the
 *     regression inputs of tests/fuzz/, under ASan+UBSan in build-asan).
 * A target aborts (bs_fuzz_check) when one of its invariants does not hold, so that a wrong
 * answer is found as well as a crash.
 */
#ifndef BS_FUZZ_H
#define BS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* libFuzzer's entry point: runs one input; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The engine with the shipped process schemas (processes/ of bs_home()) and the default
 * calendar, loaded on first use and kept for the process. Aborts when it cannot load. */
const bs_engine *bs_fuzz_engine(void);

/* The fixed "today" of every target (2024-05-15), so that a run is reproducible. */
bs_day bs_fuzz_today(void);

/* Aborts with the target's name, file and line when cond is false. */
#define bs_fuzz_check(cond) ((cond) ? (void)0 : bs__fuzz_fail(#cond, __FILE__, __LINE__))
__attribute__((noreturn)) void bs__fuzz_fail(const char *what, const char *file, int line);

/* An input cut into fields at a separator byte: field i is a NUL-terminated heap copy of
 * exactly len[i] bytes (so a read past it is a sanitizer error); absent fields are "". The
 * last field takes the rest of the input, separators included. */
#define BS_FUZZ_MAX_FIELDS 8
typedef struct bs_fuzz_fields {
    char *field[BS_FUZZ_MAX_FIELDS]; /* owned */
    size_t len[BS_FUZZ_MAX_FIELDS];
    size_t n; /* fields asked for */
} bs_fuzz_fields;

void bs_fuzz_split(bs_fuzz_fields *f, const uint8_t *data, size_t size, unsigned char sep, size_t n);
void bs_fuzz_fields_free(bs_fuzz_fields *f);

/* A NUL-terminated heap copy of data[0..size) (NUL bytes inside kept). */
char *bs_fuzz_strndup(const uint8_t *data, size_t size);

#endif
