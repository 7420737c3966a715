//! The [`Lanes`] trait a SIMD tier implements, and the small steps every kernel
//! algorithm shares.

/// The widest vector any tier has, in floats: sizes the stack buffers of tails.
pub(crate) const MAX_W: usize = 16;

/// A SIMD tier's `f32` vector and the operations the kernel algorithms use.
///
/// Implementors are zero-sized tokens (see the module documentation).
pub(crate) trait Lanes: Copy {
    /// The vector of [`Lanes::W`] floats.
    type V: Copy;
    /// Floats per vector (at most [`MAX_W`]).
    const W: usize;
    /// How far ahead of the current load the one-to-many scans prefetch, in elements
    /// (floats, or halves for f16 rows); unused where [`Lanes::prefetch`] does nothing.
    const PREFETCH_AHEAD: usize;
    /// How far ahead of its loads a scan in [`crate::ScanOrder::Streaming`] prefetches,
    /// in bytes (0: not at all; [`prefetch_stream`]).
    const STREAM_PREFETCH_BYTES: usize;

    /// The token.
    ///
    /// # Safety
    /// The CPU must support the tier's instructions.
    unsafe fn assume() -> Self;

    /// All lanes zero.
    #[inline(always)]
    fn zero(self) -> Self::V {
        self.splat(0.0)
    }
    /// All lanes `x`.
    fn splat(self, x: f32) -> Self::V;
    /// Lane-wise `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a * b + c`, fused (one rounding).
    fn fmadd(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Lane-wise x86 `maxps`: `a` where `a > b`, else `b` (so `b` when either is NaN).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// Sum of the lanes.
    fn sum(self, v: Self::V) -> f32;
    /// `[sum(a), sum(b), sum(c), sum(d)]`.
    fn sum4(self, a: Self::V, b: Self::V, c: Self::V, d: Self::V) -> [f32; 4];
    /// Bit `i` set where lane `i` of `a` is less than that of `b` (false for NaN).
    fn lt_bits(self, a: Self::V, b: Self::V) -> u32;
    /// Bit `i` set where lane `i` of `a` is greater than that of `b` (false for NaN).
    fn gt_bits(self, a: Self::V, b: Self::V) -> u32;
    /// Lane-wise `x` where `a < b`, `y` elsewhere (`y` where either is NaN).
    fn blend_lt(self, a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V;

    /// Loads `W` floats from `p` (any alignment, not even 4 bytes: rows may be read in
    /// place from a mapped file).
    ///
    /// # Safety
    /// `p..p + W` must be readable.
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// Loads the first `n` floats at `p` (`0 < n < W`, any alignment), zero in the other
    /// lanes; reads nothing past `p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be readable.
    unsafe fn load_part(self, p: *const f32, n: usize) -> Self::V;
    /// Stores `W` floats at `p` (any alignment).
    ///
    /// # Safety
    /// `p..p + W` must be writable.
    unsafe fn store(self, p: *mut f32, v: Self::V);
    /// Loads `W` bytes from `p` and widens them to floats (`0.0 ..= 255.0`).
    ///
    /// # Safety
    /// `p..p + W` must be readable.
    unsafe fn load_u8(self, p: *const u8) -> Self::V;

    /// A cache hint for the line holding `p` (`prefetcht0` on x86-64 when the tier's
    /// [`Lanes::PREFETCH_AHEAD`] is not 0, nothing elsewhere). Never faults, whatever
    /// the address.
    #[inline(always)]
    fn prefetch<T>(self, p: *const T) {
        #[cfg(target_arch = "x86_64")]
        if Self::PREFETCH_AHEAD > 0 {
            crate::x86::prefetch::prefetch_t0(p);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }
}

/// A tier that widens f16 to f32 in registers.
#[cfg(target_arch = "x86_64")]
pub(crate) trait HalfLanes: Lanes {
    /// Loads `W` halves from `p` and widens them.
    ///
    /// # Safety
    /// `p..p + W` must be readable, and the CPU must have the tier's f16 conversion
    /// (F16C for AVX2; part of the token's proof for AVX-512).
    unsafe fn load_f16(self, p: *const half::f16) -> Self::V;
}

/// How many rows a one-to-many scan covers, `min(out.len(), rows_len / d)`; with
/// `d == 0` every distance is 0 (`out` is filled) and there is nothing to scan.
#[inline(always)]
pub(crate) fn rows_to_scan(d: usize, rows_len: usize, out: &mut [f32]) -> Option<usize> {
    if d == 0 {
        out.fill(0.0);
        return None;
    }
    Some(out.len().min(rows_len / d))
}

/// One step of a sum: `acc + (q - y)^2` (L2) or `acc + q * y` (inner product).
#[inline(always)]
pub(crate) fn term<S: Lanes, const L2: bool>(s: S, acc: S::V, q: S::V, y: S::V) -> S::V {
    if L2 {
        let t = s.sub(q, y);
        s.fmadd(t, t, acc)
    } else {
        s.fmadd(q, y, acc)
    }
}

/// The four row sums of a four-row loop in which each row keeps two accumulators.
#[inline(always)]
pub(crate) fn sum_rows<S: Lanes>(s: S, acc: &[[S::V; 2]; 4]) -> [f32; 4] {
    s.sum4(
        s.add(acc[0][0], acc[0][1]),
        s.add(acc[1][0], acc[1][1]),
        s.add(acc[2][0], acc[2][1]),
        s.add(acc[3][0], acc[3][1]),
    )
}

/// The hints a scan in [`crate::ScanOrder::Streaming`] gives before reading the `bytes`
/// bytes at `p`: one per cache line, [`Lanes::STREAM_PREFETCH_BYTES`] ahead (none where
/// that is 0, or off x86-64). A hint only: it never faults and changes no value.
#[inline(always)]
pub(crate) fn prefetch_stream<S: Lanes, T>(p: *const T, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    if S::STREAM_PREFETCH_BYTES > 0 {
        let ahead = p.cast::<u8>().wrapping_add(S::STREAM_PREFETCH_BYTES);
        crate::x86::prefetch::prefetch_lines(ahead, bytes);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes, S::STREAM_PREFETCH_BYTES);
}
