//! Faiss's random choices, reproduced: its `RandomGenerator` is the standard 32-bit
//! Mersenne Twister (`std::mt19937`) seeded with the low 32 bits of the seed, and its
//! `rand_perm` is a Fisher-Yates shuffle drawing `mt() % (n - i)`.

/// `std::mt19937`.
#[derive(Debug, Clone)]
pub(crate) struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    /// Seeded as `std::mt19937(seed)`; Faiss passes `(unsigned int) seed`.
    pub(crate) fn new(seed: i64) -> Mt19937 {
        let mut state = [0u32; 624];
        state[0] = seed as u32;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7FFF_FFFF);
            let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_B0DF;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// The next 32-bit output.
    pub(crate) fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^ (y >> 18)
    }

    /// Faiss's `rand_int(max)`: `mt() % max`.
    pub(crate) fn below(&mut self, max: u32) -> u32 {
        self.next_u32() % max
    }

    /// Faiss's `rand_float()`: `mt() / float(mt.max())`, in f32 arithmetic.
    pub(crate) fn next_f32(&mut self) -> f32 {
        self.next_u32() as f32 / u32::MAX as f32
    }
}

/// The first `m` entries of Faiss's `rand_perm(perm, n, seed)` (later swaps never
/// touch them, so the shuffle stops after `m` steps).
pub(crate) fn rand_perm_prefix(n: usize, m: usize, seed: i64) -> Vec<usize> {
    let m = m.min(n);
    let mut perm: Vec<usize> = (0..n).collect();
    let mut rng = Mt19937::new(seed);
    for i in 0..m {
        if i + 1 >= n {
            break;
        }
        let j = i + rng.below((n - i) as u32) as usize;
        perm.swap(i, j);
    }
    perm.truncate(m);
    perm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C++ standard fixes mt19937's 10000th output for the default seed 5489.
    #[test]
    fn matches_the_standard_mt19937() {
        let mut mt = Mt19937::new(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = mt.next_u32();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn prefix_is_a_prefix_of_the_full_permutation() {
        let full = rand_perm_prefix(1000, 1000, 7);
        let mut sorted = full.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_eq!(rand_perm_prefix(1000, 10, 7), full[..10].to_vec());
    }
}
