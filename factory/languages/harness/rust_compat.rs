// Stand-ins for the crates HumanEval-X's Rust prompts import (`use rand::Rng; use regex::Regex;
// use md5;`): without cargo nothing can be downloaded, and a crate-root module of the same name
// satisfies those `use` lines. md5::compute and rand's two-argument gen_range (what the
// benchmark's solutions and tests call) work; regex is not available and says so when used.
#[allow(dead_code)]
pub mod rand {
    pub struct ThreadRng {
        state: u64,
    }

    pub fn thread_rng() -> ThreadRng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        ThreadRng { state: nanos | 1 }
    }

    pub trait SampleUniform: Copy {
        fn between(low: Self, high: Self, unit: f64) -> Self;
    }

    macro_rules! integer {
        ($($t:ty),*) => {$(
            impl SampleUniform for $t {
                fn between(low: Self, high: Self, unit: f64) -> Self {
                    let span = (high as f64) - (low as f64);
                    let value = low as f64 + (unit * span).floor();
                    if value >= high as f64 { low } else { value as $t }
                }
            }
        )*};
    }
    integer!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

    impl SampleUniform for f64 {
        fn between(low: Self, high: Self, unit: f64) -> Self {
            low + unit * (high - low)
        }
    }

    impl SampleUniform for f32 {
        fn between(low: Self, high: Self, unit: f64) -> Self {
            low + (unit as f32) * (high - low)
        }
    }

    pub trait Rng {
        fn next_u64(&mut self) -> u64;

        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// A value in [low, high), as rand 0.7's two-argument form.
        fn gen_range<T: SampleUniform>(&mut self, low: T, high: T) -> T {
            let unit = self.unit();
            T::between(low, high, unit)
        }

        fn gen_bool(&mut self, p: f64) -> bool {
            self.unit() < p
        }
    }

    impl Rng for ThreadRng {
        fn next_u64(&mut self) -> u64 {
            // xorshift64*: plenty for tests that draw random inputs.
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }
}

#[allow(dead_code)]
pub mod regex {
    #[derive(Debug)]
    pub struct Regex;

    impl Regex {
        pub fn new(_pattern: &str) -> Result<Regex, String> {
            Err("the regex crate is not available in this sandbox".to_string())
        }
    }
}

#[allow(dead_code)]
pub mod md5 {
    pub struct Digest(pub [u8; 16]);

    impl std::fmt::LowerHex for Digest {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            for byte in self.0.iter() {
                write!(f, "{:02x}", byte)?;
            }
            Ok(())
        }
    }

    impl std::fmt::Debug for Digest {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            std::fmt::LowerHex::fmt(self, f)
        }
    }

    pub fn compute<T: AsRef<[u8]>>(data: T) -> Digest {
        const S: [u32; 64] = [
            7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20,
            5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
        ];
        let k: Vec<u32> = (0..64)
            .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
            .collect();
        let mut message = data.as_ref().to_vec();
        let bits = (message.len() as u64).wrapping_mul(8);
        message.push(0x80);
        while message.len() % 64 != 56 {
            message.push(0);
        }
        message.extend_from_slice(&bits.to_le_bytes());
        let mut h: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
        for chunk in message.chunks(64) {
            let m: Vec<u32> = chunk
                .chunks(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect();
            let (mut a, mut b, mut c, mut d) = (h[0], h[1], h[2], h[3]);
            for i in 0..64 {
                let (f, g) = match i / 16 {
                    0 => ((b & c) | (!b & d), i),
                    1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                    2 => (b ^ c ^ d, (3 * i + 5) % 16),
                    _ => (c ^ (b | !d), (7 * i) % 16),
                };
                let rotated = a
                    .wrapping_add(f)
                    .wrapping_add(k[i])
                    .wrapping_add(m[g])
                    .rotate_left(S[i]);
                a = d;
                d = c;
                c = b;
                b = b.wrapping_add(rotated);
            }
            h[0] = h[0].wrapping_add(a);
            h[1] = h[1].wrapping_add(b);
            h[2] = h[2].wrapping_add(c);
            h[3] = h[3].wrapping_add(d);
        }
        let mut out = [0u8; 16];
        for (i, word) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        Digest(out)
    }
}
