//! [`simd_tier!`]: a tier's kernel table, every entry an algorithm of this module's
//! parent instantiated for the tier's token inside a `#[target_feature]` function.

/// Defines, in the calling tier module, the tier's token type, its [`Lanes`] (and, for
/// `f16 native`, [`HalfLanes`]) impl from the tier's functions, the safe kernel
/// functions, and a `const` kernel table of them:
///
/// ```text
/// simd_tier! {
///     /// doc of the table
///     table NAME, token Token, tier Variant, features "avx2,fma", vector __m256 of 8,
///     prefetch 512, stream prefetch 1024, tile rows 6, two-query scan yes|no, top-1 fused|plain,
///     f16 native "avx2,fma,f16c" | f16 portable;
///     splat F, add F, sub F, fmadd F, max F, sum F, sum4 F, lt_bits F, gt_bits F, blend_lt F,
///     load F, load_part F, store F, load_u8 F, dot_f64 G, dot_u8 F[, load_f16 F];
/// }
/// ```
///
/// Each `F` is an `unsafe fn` taking the method's arguments in its order (`fmadd(a, b,
/// c) = a * b + c`) with the method's contract, needing no instructions beyond
/// `features`, which the token proves; `load_f16` may also need the f16 features, which
/// only the f16 kernels (compiled with them) call it under. `G` is a safe function
/// (`fn(&[f32], &[f32]) -> f64`, [`crate::dot_f64::dot_f64`]'s contract and bits),
/// either that generic one or one with `#[target_feature]`s within `features`. `dot_u8`
/// is [`crate::int_dot::dot_ny`] (safe) or an `unsafe fn` with its contract and values
/// needing no instructions beyond `features`.
///
/// The safe functions are reachable only through the table, which
/// [`crate::dispatch::table_for`] hands out after checking the CPU for `features` (and
/// for the f16 features where they are named): that check is what makes the token and
/// the `#[target_feature]` calls sound.
///
/// [`Lanes`]: super::Lanes
/// [`HalfLanes`]: super::HalfLanes
macro_rules! simd_tier {
    (
        $(#[$doc:meta])*
        table $name:ident, token $token:ident, tier $tier:ident, features $feat:literal,
        vector $v:ident of $w:literal, prefetch $pf:literal, stream prefetch $spf:literal,
        tile rows $rb:literal,
        two-query scan $ny2:ident, top-1 $top1:ident, f16 $f16kind:ident $($f16feat:literal)?;
        splat $splat:path, add $add:path, sub $sub:path, fmadd $fmadd:path, max $max:path,
        sum $sum:path, sum4 $sum4:path, lt_bits $lt:path, gt_bits $gt:path, blend_lt $blend:path,
        load $load:path, load_part $load_part:path, store $store:path,
        load_u8 $load_u8:path, dot_f64 $dot64:path, dot_u8 $dotu8:path
        $(, load_f16 $load_f16:path)?;
    ) => {
        /// The tier's token: made only where the CPU has the tier's instructions.
        #[derive(Clone, Copy)]
        pub(crate) struct $token(());

        // In every `unsafe` block of this impl, holding the token proves the CPU has the
        // tier's instructions, all that the tier's functions need beyond their memory
        // contracts, which the `unsafe` methods pass on to their callers.
        impl $crate::lanes::Lanes for $token {
            type V = $v;
            const W: usize = $w;
            const PREFETCH_AHEAD: usize = $pf;
            const STREAM_PREFETCH_BYTES: usize = $spf;

            #[inline(always)]
            unsafe fn assume() -> Self {
                $token(())
            }
            #[inline(always)]
            fn splat(self, x: f32) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $splat(x) }
            }
            #[inline(always)]
            fn add(self, a: $v, b: $v) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            fn sub(self, a: $v, b: $v) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $sub(a, b) }
            }
            #[inline(always)]
            fn fmadd(self, a: $v, b: $v, c: $v) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $fmadd(a, b, c) }
            }
            #[inline(always)]
            fn max(self, a: $v, b: $v) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $max(a, b) }
            }
            #[inline(always)]
            fn sum(self, v: $v) -> f32 {
                // SAFETY: the token (see the impl).
                unsafe { $sum(v) }
            }
            #[inline(always)]
            fn sum4(self, a: $v, b: $v, c: $v, d: $v) -> [f32; 4] {
                // SAFETY: the token (see the impl).
                unsafe { $sum4(a, b, c, d) }
            }
            #[inline(always)]
            fn lt_bits(self, a: $v, b: $v) -> u32 {
                // SAFETY: the token (see the impl).
                unsafe { $lt(a, b) }
            }
            #[inline(always)]
            fn gt_bits(self, a: $v, b: $v) -> u32 {
                // SAFETY: the token (see the impl).
                unsafe { $gt(a, b) }
            }
            #[inline(always)]
            fn blend_lt(self, a: $v, b: $v, x: $v, y: $v) -> $v {
                // SAFETY: the token (see the impl).
                unsafe { $blend(a, b, x, y) }
            }
            #[inline(always)]
            unsafe fn load(self, p: *const f32) -> $v {
                // SAFETY: the token, and the caller keeps `load`'s memory contract.
                unsafe { $load(p) }
            }
            #[inline(always)]
            unsafe fn load_part(self, p: *const f32, n: usize) -> $v {
                // SAFETY: the token, and the caller keeps `load_part`'s memory contract.
                unsafe { $load_part(p, n) }
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut f32, v: $v) {
                // SAFETY: the token, and the caller keeps `store`'s memory contract.
                unsafe { $store(p, v) }
            }
            #[inline(always)]
            unsafe fn load_u8(self, p: *const u8) -> $v {
                // SAFETY: the token, and the caller keeps `load_u8`'s memory contract.
                unsafe { $load_u8(p) }
            }
        }

        $(
            impl $crate::lanes::HalfLanes for $token {
                #[inline(always)]
                unsafe fn load_f16(self, p: *const half::f16) -> $v {
                    // SAFETY: the caller keeps `load_f16`'s contract (memory and the f16
                    // conversion).
                    unsafe { $load_f16(p) }
                }
            }
        )?

        $crate::lanes::simd_tier! {
            @kernels $(#[$doc])* table $name, lanes $token, tier $tier, features $feat,
            tile rows $rb, two-query scan $ny2, top-1 $top1, f16 $f16kind $($f16feat)?,
            dot_f64 $dot64, dot_u8 $dotu8;
        }
    };

    (
        @kernels $(#[$doc:meta])* table $name:ident, lanes $lanes:ty, tier $tier:ident,
        features $feat:literal, tile rows $rb:literal, two-query scan $ny2:ident,
        top-1 $top1:ident, f16 $f16kind:ident $($f16feat:literal)?, dot_f64 $dot64:path,
        dot_u8 $dotu8:path;
    ) => {
        #[target_feature(enable = $feat)]
        fn pair_tf<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::pair::pair::<$lanes, L2>(s, a, b)
        }

        #[target_feature(enable = $feat)]
        fn pair4_tf<const L2: bool>(q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::pair::pair4::<$lanes, L2>(s, q, rows)
        }

        #[target_feature(enable = $feat)]
        fn ny_tf<const L2: bool>(q: &[f32], rows: $crate::Rows<'_>, out: &mut [f32], order: $crate::ScanOrder) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::scan::ny::<$lanes, L2>(s, q, rows, out, order)
        }

        #[target_feature(enable = $feat)]
        fn tile_tf(pack: &[f32], rows: &[f32], d: usize, span: $crate::tile::TileSpan, out: &mut [f32]) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::tile::ip_tile::<$lanes, $rb, { 2 * <$lanes as $crate::lanes::Lanes>::W }>(
                s, pack, rows, d, span, out,
            )
        }

        #[target_feature(enable = $feat)]
        fn finish_tf<const L2: bool>(blk: &$crate::tile::TileBlock<'_>, h: &mut [$crate::topk::TopK]) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::tile::finish::<$lanes, { 2 * <$lanes as $crate::lanes::Lanes>::W }, L2, _>(s, blk, h)
        }

        #[target_feature(enable = $feat)]
        fn best_tf<const L2: bool>(blk: &$crate::tile::TileBlock<'_>, h: &mut $crate::topk::Best<'_>) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::tile::finish_best::<
                $lanes,
                { 2 * <$lanes as $crate::lanes::Lanes>::W },
                L2,
                { $crate::lanes::simd_tier!(@top1 $top1) },
            >(s, blk, h)
        }

        #[target_feature(enable = $feat)]
        fn ny_u8_tf<const L2: bool>(
            q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32],
        ) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            let dec = $crate::lanes::coded_scan::ByteRows { offset, scale };
            // SAFETY: byte rows need nothing beyond the tier's features.
            unsafe { $crate::lanes::coded_scan::ny_coded_interleaved::<$lanes, _, L2>(s, dec, q, rows, out) }
        }

        fn l2_sqr_ny_u8(q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_u8_tf::<true>(q, rows, offset, scale, out) }
        }

        fn inner_product_ny_u8(q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_u8_tf::<false>(q, rows, offset, scale, out) }
        }

        #[target_feature(enable = $feat)]
        fn dot_u8_tf(w: &[i16], rows: &[u8], out: &mut [i32]) {
            // `unsafe` for the tiers whose `dot_u8` is an `unsafe fn`.
            #[allow(unused_unsafe)]
            // SAFETY: the CPU has this function's features, all `dot_u8` needs: it is
            // reachable only through the kernel table, handed out after checking the
            // CPU for them.
            unsafe {
                $dotu8(w, rows, out)
            }
        }

        fn dot_ny_u8(w: &[i16], rows: &[u8], out: &mut [i32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { dot_u8_tf(w, rows, out) }
        }

        #[target_feature(enable = $feat)]
        fn dot_f64_tf(a: &[f32], b: &[f32]) -> f64 {
            $dot64(a, b)
        }

        #[target_feature(enable = $feat)]
        fn norm_tf(a: &[f32]) -> f32 {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::pair::norm::<$lanes>(s, a)
        }

        fn row_norm(a: &[f32]) -> f32 {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { norm_tf(a) }
        }

        fn inner_product_f64(a: &[f32], b: &[f32]) -> f64 {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { dot_f64_tf(a, b) }
        }

        fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { pair_tf::<true>(a, b) }
        }

        fn inner_product(a: &[f32], b: &[f32]) -> f32 {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { pair_tf::<false>(a, b) }
        }

        fn l2_sqr_x4(q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { pair4_tf::<true>(q, rows) }
        }

        fn inner_product_x4(q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { pair4_tf::<false>(q, rows) }
        }

        fn l2_sqr_ny(q: &[f32], rows: $crate::Rows<'_>, out: &mut [f32], order: $crate::ScanOrder) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_tf::<true>(q, rows, out, order) }
        }

        fn inner_product_ny(q: &[f32], rows: $crate::Rows<'_>, out: &mut [f32], order: $crate::ScanOrder) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_tf::<false>(q, rows, out, order) }
        }

        fn tile_ip(pack: &[f32], rows: &[f32], d: usize, span: $crate::tile::TileSpan, out: &mut [f32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { tile_tf(pack, rows, d, span, out) }
        }

        fn tile_finish<const L2: bool>(blk: &$crate::tile::TileBlock<'_>, h: &mut [$crate::topk::TopK]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { finish_tf::<L2>(blk, h) }
        }

        fn tile_best<const L2: bool>(blk: &$crate::tile::TileBlock<'_>, h: &mut $crate::topk::Best<'_>) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { best_tf::<L2>(blk, h) }
        }

        $crate::lanes::simd_tier!(@ny2 $ny2, $lanes, $feat);
        $crate::lanes::simd_tier!(@f16 $lanes, $f16kind $($f16feat)?);

        $(#[$doc])*
        pub(crate) const $name: $crate::table::Kernels = $crate::table::Kernels {
            tier: $crate::simd_tier::SimdTier::$tier,
            l2_sqr,
            inner_product,
            inner_product_f64,
            row_norm,
            l2_sqr_x4: Some(l2_sqr_x4),
            inner_product_x4: Some(inner_product_x4),
            l2_sqr_ny,
            inner_product_ny,
            l2_sqr_ny2: $crate::lanes::simd_tier!(@ny2_entry $ny2, l2_sqr_ny2),
            inner_product_ny2: $crate::lanes::simd_tier!(@ny2_entry $ny2, inner_product_ny2),
            l2_sqr_ny_f16,
            inner_product_ny_f16,
            l2_sqr_ny_u8,
            inner_product_ny_u8,
            dot_ny_u8,
            tile: $crate::tile::TileKernels {
                queries: 2 * <$lanes as $crate::lanes::Lanes>::W,
                rows: $rb,
                ip: tile_ip,
                l2_finish: tile_finish::<true>,
                ip_finish: tile_finish::<false>,
                l2_best: tile_best::<true>,
                ip_best: tile_best::<false>,
                fused_top1: $crate::lanes::simd_tier!(@top1 $top1),
            },
        };
    };

    (@top1 fused) => {
        true
    };
    (@top1 plain) => {
        false
    };

    (@ny2 yes, $lanes:ty, $feat:literal) => {
        #[target_feature(enable = $feat)]
        fn ny2_tf<const L2: bool>(qa: &[f32], qb: &[f32], rows: $crate::Rows<'_>, oa: &mut [f32], ob: &mut [f32]) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            $crate::lanes::scan::ny2::<$lanes, L2>(s, qa, qb, rows, oa, ob)
        }

        fn l2_sqr_ny2(qa: &[f32], qb: &[f32], rows: $crate::Rows<'_>, oa: &mut [f32], ob: &mut [f32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny2_tf::<true>(qa, qb, rows, oa, ob) }
        }

        fn inner_product_ny2(qa: &[f32], qb: &[f32], rows: $crate::Rows<'_>, oa: &mut [f32], ob: &mut [f32]) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny2_tf::<false>(qa, qb, rows, oa, ob) }
        }
    };
    (@ny2 no, $lanes:ty, $feat:literal) => {};
    (@ny2_entry yes, $f:ident) => { Some($f) };
    (@ny2_entry no, $f:ident) => { None };

    (@f16 $lanes:ty, native $f16feat:literal) => {
        #[target_feature(enable = $f16feat)]
        fn ny_f16_tf<const L2: bool>(
            q: &[f32], rows: &[half::f16], out: &mut [f32], order: $crate::ScanOrder,
        ) {
            // SAFETY: the CPU has this function's features: it is reachable only through
            // the kernel table, handed out after checking the CPU for them.
            let s = unsafe { <$lanes as $crate::lanes::Lanes>::assume() };
            // SAFETY: these features include the tier's f16 conversion, and the table
            // holding this function is handed out only after checking the CPU for them.
            unsafe {
                $crate::lanes::coded_scan::ny_coded::<$lanes, _, L2>(
                    s, $crate::lanes::coded_scan::HalfRows, q, rows, out, order,
                )
            }
        }

        fn l2_sqr_ny_f16(q: &[f32], rows: &[half::f16], out: &mut [f32], order: $crate::ScanOrder) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_f16_tf::<true>(q, rows, out, order) }
        }

        fn inner_product_ny_f16(q: &[f32], rows: &[half::f16], out: &mut [f32], order: $crate::ScanOrder) {
            // SAFETY: reachable only through the table (see the `#[target_feature]` functions above).
            unsafe { ny_f16_tf::<false>(q, rows, out, order) }
        }
    };
    (@f16 $lanes:ty, portable) => {
        use $crate::portable::{inner_product_ny_f16, l2_sqr_ny_f16};
    };
}

pub(crate) use simd_tier;
