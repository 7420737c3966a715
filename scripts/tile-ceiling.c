/*
 * The ceiling of a broadcast register tile on this host, without any of the search
 * around it: `RB` rows x `16 * QV` queries of inner products over `d` coordinates,
 * rows and query pack in L1, nothing stored but the tile. Each shape is timed over
 * 100 passes of `nrows` rows; GFLOP/s = 2 * queries * d * rows / time. Compare with
 * the membw probe's `fma512_gflops_1t` in the same window (docs/benchmarks.md,
 * "How far 90% of the FMA probe is").
 *
 *   gcc -O3 -march=native scripts/tile-ceiling.c -o /tmp/tile-ceiling
 *   /tmp/tile-ceiling 128 1008; /tmp/tile-ceiling 768 168
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TILE(NAME, RB, QV)                                                           \
    __attribute__((noinline)) static void NAME(const float *pack, const float *rows, \
                                               int d, float *out) {                  \
        __m512 acc[RB][QV];                                                          \
        for (int r = 0; r < RB; r++)                                                 \
            for (int v = 0; v < QV; v++) acc[r][v] = _mm512_setzero_ps();            \
        for (int k = 0; k < d; k++) {                                                \
            __m512 q[QV];                                                            \
            for (int v = 0; v < QV; v++) q[v] = _mm512_loadu_ps(pack + (k * QV + v) * 16); \
            _Pragma("GCC unroll 16") for (int r = 0; r < RB; r++) {                  \
                __m512 y = _mm512_set1_ps(rows[r * d + k]);                          \
                for (int v = 0; v < QV; v++) acc[r][v] = _mm512_fmadd_ps(q[v], y, acc[r][v]); \
            }                                                                        \
        }                                                                            \
        for (int r = 0; r < RB; r++)                                                 \
            for (int v = 0; v < QV; v++) _mm512_storeu_ps(out + (r * QV + v) * 16, acc[r][v]); \
    }

TILE(t12x2, 12, 2)
TILE(t8x3, 8, 3)
TILE(t6x4, 6, 4)

typedef void (*tile_fn)(const float *, const float *, int, float *);

static void run(const char *name, tile_fn f, int rb, int qv, int d, int nrows) {
    float *pack = aligned_alloc(64, (size_t)d * 16 * qv * 4);
    float *rows = aligned_alloc(64, (size_t)nrows * d * 4);
    float *out = aligned_alloc(64, (size_t)nrows * 16 * qv * 4);
    for (int i = 0; i < d * 16 * qv; i++) pack[i] = i * 1e-3f;
    for (size_t i = 0; i < (size_t)nrows * d; i++) rows[i] = (i % 97) * 1e-3f;
    double best = 1e9;
    for (int rep = 0; rep < 20; rep++) {
        double t = now();
        for (int it = 0; it < 100; it++)
            for (int r = 0; r + rb <= nrows; r += rb) f(pack, rows + (size_t)r * d, d, out + r * 16 * qv);
        t = now() - t;
        if (t < best) best = t;
    }
    double flop = 2.0 * 16 * qv * d * (nrows / rb * rb) * 100;
    printf("%s d=%d rows=%d %.1f GFLOP/s (check %g)\n", name, d, nrows, flop / best / 1e9, out[5]);
    free(pack); free(rows); free(out);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s d nrows\n", argv[0]);
        return 2;
    }
    int d = atoi(argv[1]), n = atoi(argv[2]);
    if (d <= 0 || n < 12) {
        fprintf(stderr, "d must be positive and nrows at least 12\n");
        return 2;
    }
    run("12 rows x 32 queries (ours)", t12x2, 12, 2, d, n);
    run("8 rows x 48 queries", t8x3, 8, 3, d, n);
    run("6 rows x 64 queries", t6x4, 6, 4, d, n);
    return 0;
}
