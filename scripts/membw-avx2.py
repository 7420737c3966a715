#!/usr/bin/env python3
"""Ports the membw probe (shared/bench/membw/membw.c) to a host without AVX-512.

The shared probe reads with 512-bit loads and times 512-bit FMAs, so on an AVX2-only
host (AMD Zen 1-3, older Intel) `gcc -march=native` rejects it. This writes the same
probe with two changes and nothing else:
  * the read loop does two 256-bit loads for each former 512-bit load, so each pass
    still reads every byte of its buffer once;
  * `fma512_gflops_1t` returns the 256-bit FMA peak, the widest the host has: the JSON
    keys stay the same, and on such a host they mean "the widest FMA".

    python3 scripts/membw-avx2.py ../shared/bench/membw/membw.c /tmp/membw_avx2.c
    gcc -O3 -march=native -fopenmp /tmp/membw_avx2.c -o /tmp/membw
"""

import re
import sys

src = open(sys.argv[1]).read()
out, n = re.subn(
    r"a(\d) = _mm512_add_ps\(a\1, _mm512_load_ps\(p \+ i(?: \+ (\d+))?\)\);",
    lambda m: "a{0} = _mm256_add_ps(a{0}, _mm256_add_ps(_mm256_load_ps(p + i + {1}), "
    "_mm256_load_ps(p + i + {2})));".format(m.group(1), int(m.group(2) or 0), int(m.group(2) or 0) + 8),
    src,
)
assert n == 8, f"expected the probe's 8 accumulator loads, found {n}"
start, end = out.index("static float sum_avx512"), out.index("static volatile float sink")
body = out[start:end]
for a, b in [("__m512", "__m256"), ("_mm512_setzero_ps", "_mm256_setzero_ps"), ("_mm512_add_ps", "_mm256_add_ps")]:
    body = body.replace(a, b)
body = body.replace(
    "return _mm512_reduce_add_ps(a0);",
    "float t[8];\n    _mm256_storeu_ps(t, a0);\n    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];",
)
out = out[:start] + body + out[end:]
s, e = out.index("static double fma512_gflops_1t"), out.index("static double fma256_gflops_1t")
out = (
    out[:s]
    + "static double fma256_gflops_1t(void);\n"
    + "// AVX2 port: the widest FMA here is 256-bit; it is reported under the 512 keys.\n"
    + "static double fma512_gflops_1t(void) { return fma256_gflops_1t(); }\n\n"
    + out[e:]
)
assert "_mm512" not in out, "a 512-bit intrinsic is left"
open(sys.argv[2], "w").write(out)
