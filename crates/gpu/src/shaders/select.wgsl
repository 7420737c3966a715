// The best `keep` distances of each segment of 1024 rows, for each query: one workgroup
// per (segment, query) sorts the segment's (key, row) pairs in workgroup memory with a
// bitonic network and writes the first `keep`. Keys sort ascending (inner products are
// negated), equal keys by ascending row. The host sizes `keep` so that every row a
// sequential scan with Faiss's heap could keep is among them (see `flat.rs`).

struct Params {
    // Rows with a distance in this chunk; later slots of a segment are padding.
    n_rows: u32,
    // Distances of query q start at dist[q * stride].
    stride: u32,
    // Entries written per (query, segment).
    keep: u32,
    // Segments per query in `out`.
    n_segments: u32,
    // 1: sort by -distance (inner product).
    negate: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dist: array<f32>;
// (key bits, row) pairs, `keep` per (query, segment), query-major.
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

const SEG: u32 = 1024u;
const THREADS: u32 = 256u;
const NO_ROW: u32 = 0xffffffffu;

var<workgroup> keys: array<f32, 1024>;
var<workgroup> ids: array<u32, 1024>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let seg = wg.x;
    let q = wg.y;
    let base = seg * SEG;
    // +infinity, built at run time (WGSL has no infinite literal).
    let inf = bitcast<f32>(0x7f800000u + params.pad0 * 0u);
    for (var i = t; i < SEG; i += THREADS) {
        let r = base + i;
        var key = inf;
        var id = NO_ROW;
        if (r < params.n_rows) {
            let v = dist[q * params.stride + r];
            key = select(v, -v, params.negate == 1u);
            id = r;
        }
        keys[i] = key;
        ids[i] = id;
    }
    workgroupBarrier();
    for (var size = 2u; size <= SEG; size <<= 1u) {
        for (var j = size >> 1u; j > 0u; j >>= 1u) {
            for (var p = t; p < SEG / 2u; p += THREADS) {
                let lo = 2u * j * (p / j) + (p % j);
                let hi = lo + j;
                let ascending = (lo & size) == 0u;
                let ka = keys[lo];
                let kb = keys[hi];
                let ia = ids[lo];
                let ib = ids[hi];
                let a_after_b = ka > kb || (ka == kb && ia > ib);
                if (a_after_b == ascending) {
                    keys[lo] = kb;
                    keys[hi] = ka;
                    ids[lo] = ib;
                    ids[hi] = ia;
                }
            }
            workgroupBarrier();
        }
    }
    let first = (q * params.n_segments + seg) * params.keep;
    for (var i = t; i < params.keep; i += THREADS) {
        out[2u * (first + i)] = bitcast<u32>(keys[i]);
        out[2u * (first + i) + 1u] = ids[i];
    }
}
