//! Tier selection: the environment switches, detection, and forcing tiers.

mod common;

use flatl2_kernel::__internal::choose_tier;
use flatl2_kernel::{best_supported_tier, kernels, kernels_for, KernelError, SimdTier};

#[test]
fn unknown_tier_name_is_an_error() {
    assert_eq!(
        choose_tier(Some("sse9"), false),
        Err(KernelError::UnknownTier("sse9".to_string()))
    );
    assert!(matches!(
        SimdTier::parse("avx-512"),
        Err(KernelError::UnknownTier(_))
    ));
}

#[test]
fn names_parse_case_insensitively_and_round_trip() {
    for t in SimdTier::ALL {
        assert_eq!(SimdTier::parse(t.name()), Ok(t));
        assert_eq!(SimdTier::parse(&t.name().to_uppercase()), Ok(t));
        assert_eq!(t.to_string(), t.name());
    }
    assert_eq!(SimdTier::parse(" AVX512F "), Ok(SimdTier::Avx512));
}

#[test]
fn unsupported_tier_is_an_error_everywhere() {
    for t in SimdTier::ALL {
        if t.is_supported() {
            assert_eq!(choose_tier(Some(t.name()), false), Ok(t));
            assert_eq!(kernels_for(t).map(|k| k.tier()), Ok(t));
        } else {
            assert_eq!(
                choose_tier(Some(t.name()), false),
                Err(KernelError::UnsupportedTier(t))
            );
            assert_eq!(
                kernels_for(t).map(|k| k.tier()),
                Err(KernelError::UnsupportedTier(t))
            );
        }
    }
    // NEON and the x86 tiers never coexist.
    assert!(!(SimdTier::Neon.is_supported() && SimdTier::Avx2.is_supported()));
}

#[test]
fn faiss_no_avx2_moves_to_portable_and_ferrofaiss_simd_wins() {
    assert_eq!(choose_tier(None, true), Ok(SimdTier::Portable));
    assert_eq!(choose_tier(Some(""), true), Ok(SimdTier::Portable));
    assert_eq!(choose_tier(Some("scalar"), true), Ok(SimdTier::Scalar));
    assert_eq!(choose_tier(None, false), Ok(best_supported_tier()));
    assert!(best_supported_tier().is_supported());
}

#[test]
fn scalar_and_portable_always_exist_and_active_tier_is_supported() {
    assert_eq!(
        kernels_for(SimdTier::Scalar).unwrap().tier(),
        SimdTier::Scalar
    );
    assert_eq!(
        kernels_for(SimdTier::Portable).unwrap().tier(),
        SimdTier::Portable
    );
    assert!(kernels().unwrap().tier().is_supported());
    // Detection agrees with the standard library.
    #[cfg(target_arch = "x86_64")]
    {
        let f = flatl2_kernel::cpu_features();
        assert_eq!(f.avx512f, std::arch::is_x86_feature_detected!("avx512f"));
        assert_eq!(
            f.avx2_fma,
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        );
        assert_eq!(f.f16c, std::arch::is_x86_feature_detected!("f16c"));
    }
    #[cfg(target_arch = "aarch64")]
    assert_eq!(
        flatl2_kernel::cpu_features().neon,
        std::arch::is_aarch64_feature_detected!("neon")
    );
}

/// On aarch64 (CI runs these tests under QEMU) NEON is detected, chosen by default and
/// among the tiers every kernel test forces against its f64 reference, so the NEON code
/// runs rather than only type-checks.
#[cfg(target_arch = "aarch64")]
#[test]
fn neon_is_detected_chosen_and_tested_on_aarch64() {
    assert!(SimdTier::Neon.is_supported());
    assert_eq!(best_supported_tier(), SimdTier::Neon);
    assert_eq!(kernels_for(SimdTier::Neon).unwrap().tier(), SimdTier::Neon);
    assert!(common::tiers().iter().any(|k| k.tier() == SimdTier::Neon));
    for t in [SimdTier::Avx2, SimdTier::Avx512] {
        assert!(!t.is_supported(), "{t} on aarch64");
    }
}
