// Distances between a batch of queries and a chunk of stored rows, one 16 x 16 tile of
// (query, row) pairs per workgroup, both operands staged through workgroup memory 16
// dimensions at a time. Squared L2 is summed as sum((q - x)^2), never through norms, so
// a distance is as exact as a one-to-many CPU scan's.

struct Params {
    d: u32,
    n_rows: u32,
    n_queries: u32,
    // Distances of query q start at out[q * stride].
    stride: u32,
    // 0: squared L2; 1: inner product.
    metric: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> queries: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;

var<workgroup> q_tile: array<array<f32, 16>, 16>;
var<workgroup> r_tile: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r0 = wg.x * TILE;
    let q0 = wg.y * TILE;
    let row = r0 + lid.x;
    let q = q0 + lid.y;
    var acc = 0.0;
    for (var k0 = 0u; k0 < params.d; k0 += TILE) {
        let kk = k0 + lid.x;
        var qv = 0.0;
        if (q0 + lid.y < params.n_queries && kk < params.d) {
            qv = queries[(q0 + lid.y) * params.d + kk];
        }
        q_tile[lid.y][lid.x] = qv;
        var rv = 0.0;
        if (r0 + lid.y < params.n_rows && kk < params.d) {
            rv = rows[(r0 + lid.y) * params.d + kk];
        }
        r_tile[lid.y][lid.x] = rv;
        workgroupBarrier();
        let width = min(TILE, params.d - k0);
        if (params.metric == 0u) {
            for (var j = 0u; j < width; j++) {
                let t = q_tile[lid.y][j] - r_tile[lid.x][j];
                acc = fma(t, t, acc);
            }
        } else {
            for (var j = 0u; j < width; j++) {
                acc = fma(q_tile[lid.y][j], r_tile[lid.x][j], acc);
            }
        }
        workgroupBarrier();
    }
    if (q < params.n_queries && row < params.n_rows) {
        out[q * params.stride + row] = acc;
    }
}
