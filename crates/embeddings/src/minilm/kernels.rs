//! Row-wise numeric kernels of the encoder on plain `f32` buffers, parallel over rows
//! (candle runs element-wise ops on one thread; these use every core).

use rayon::prelude::*;

/// Rows per parallel task: enough work per task to amortise scheduling.
fn rows_per_task(width: usize) -> usize {
    (16_384 / width.max(1)).max(1)
}

/// `x[r] = layer_norm(x[r] + residual[r]) * gamma + beta` for every row of width
/// `gamma.len()`; `residual` may be empty (no residual).
pub fn add_layer_norm(x: &mut [f32], residual: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let width = gamma.len();
    let step = rows_per_task(width) * width;
    let body = |(chunk, res): (&mut [f32], Option<&[f32]>)| {
        for (r, row) in chunk.chunks_exact_mut(width).enumerate() {
            if let Some(res) = res {
                for (v, add) in row.iter_mut().zip(&res[r * width..(r + 1) * width]) {
                    *v += add;
                }
            }
            norm_row(row, gamma, beta, eps);
        }
    };
    if residual.is_empty() {
        x.par_chunks_mut(step).map(|c| (c, None)).for_each(body);
    } else {
        x.par_chunks_mut(step)
            .zip(residual.par_chunks(step))
            .map(|(c, r)| (c, Some(r)))
            .for_each(body);
    }
}

/// Layer norm of one row, statistics accumulated in f64.
fn norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f64;
    let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = row
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let inv = 1.0 / (var + f64::from(eps)).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = ((f64::from(*v) - mean) * inv) as f32 * g + b;
    }
}

/// Adds `bias` to every row of `x` (row width `bias.len()`).
pub fn add_bias(x: &mut [f32], bias: &[f32]) {
    let width = bias.len();
    x.par_chunks_mut(rows_per_task(width) * width)
        .for_each(|chunk| {
            for row in chunk.chunks_exact_mut(width) {
                for (v, b) in row.iter_mut().zip(bias) {
                    *v += b;
                }
            }
        });
}

/// Adds `bias` to every row of `x`, then applies the exact GELU,
/// `0.5 * v * (1 + erf(v / sqrt 2))` (BERT's `hidden_act: "gelu"`).
pub fn add_bias_gelu(x: &mut [f32], bias: &[f32]) {
    let width = bias.len();
    x.par_chunks_mut(rows_per_task(width) * width)
        .for_each(|chunk| {
            for row in chunk.chunks_exact_mut(width) {
                for (v, b) in row.iter_mut().zip(bias) {
                    let t = *v + b;
                    *v = 0.5
                        * t
                        * (1.0
                            + candle_core::cpu::erf::erf_f32(t * std::f32::consts::FRAC_1_SQRT_2));
                }
            }
        });
}

/// `softmax(scale * row)` in place for every row of width `width` (one thread: called
/// per sequence from parallel tasks).
pub fn scaled_softmax_rows(x: &mut [f32], width: usize, scale: f32) {
    for row in x.chunks_exact_mut(width) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) * scale;
        let mut sum = 0.0f32;
        for v in row.iter_mut() {
            *v = (*v * scale - max).exp();
            sum += *v;
        }
        let inv = 1.0 / sum;
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_norm_matches_definition() {
        let mut x = vec![1.0f32, 2.0, 3.0, 4.0, -1.0, 0.0, 1.0, 2.0];
        let res = vec![0.5f32; 8];
        let gamma = [1.0f32, 2.0, 1.0, 0.5];
        let beta = [0.0f32, 0.1, 0.0, -0.1];
        let expect: Vec<f32> = x
            .chunks(4)
            .zip(res.chunks(4))
            .flat_map(|(row, r)| {
                let v: Vec<f64> = row.iter().zip(r).map(|(a, b)| f64::from(a + b)).collect();
                let mean = v.iter().sum::<f64>() / 4.0;
                let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / 4.0;
                v.into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        ((a - mean) / (var + 1e-12).sqrt() * f64::from(gamma[i])
                            + f64::from(beta[i])) as f32
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        add_layer_norm(&mut x, &res, &gamma, &beta, 1e-12);
        for (a, b) in x.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn gelu_and_softmax_match_definitions() {
        // erf(1/sqrt 2) = 0.6826894921370859 (the one-sigma probability).
        let mut x = vec![1.0f32, -1.0, 0.0];
        add_bias_gelu(&mut x, &[0.0, 0.0, 0.0]);
        let g1 = 0.5 * (1.0 + 0.682_689_492_137_085_9_f64);
        assert!((f64::from(x[0]) - g1).abs() < 1e-6);
        assert!((f64::from(x[1]) + (1.0 - g1)).abs() < 1e-6);
        assert_eq!(x[2], 0.0);

        let mut s = vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0];
        scaled_softmax_rows(&mut s, 3, 0.5);
        let e: Vec<f64> = [0.5f64, 1.0, 1.5].iter().map(|v| v.exp()).collect();
        let z: f64 = e.iter().sum();
        for i in 0..3 {
            assert!((f64::from(s[i]) - e[i] / z).abs() < 1e-6);
            assert!((f64::from(s[3 + i]) - 1.0 / 3.0).abs() < 1e-6);
        }
    }
}
