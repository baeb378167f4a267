//! Request ids in AWS's `x-amzn-RequestId` form (a lower-case UUID v4), generated per core from a
//! xorshift state so the request path neither allocates nor touches shared state.

pub struct RequestIds {
    state: u64,
}

impl RequestIds {
    pub fn new(core: usize) -> RequestIds {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // Distinct per core and per process even when two start in the same nanosecond.
        let seed = nanos
            ^ ((std::process::id() as u64) << 32)
            ^ (core as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        RequestIds { state: seed | 1 }
    }

    fn next_u64(&mut self) -> u64 {
        // xorshift64*: fast, and ids only need to be unique, not unpredictable.
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Writes a fresh id (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`) into `out`.
    pub fn next(&mut self, out: &mut [u8; 36]) {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut o = 0;
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out[o] = b'-';
                o += 1;
            }
            out[o] = HEX[(b >> 4) as usize];
            out[o + 1] = HEX[(b & 15) as usize];
            o += 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_v4_shaped_and_distinct() {
        let mut g = RequestIds::new(0);
        let mut a = [0u8; 36];
        let mut b = [0u8; 36];
        g.next(&mut a);
        g.next(&mut b);
        assert_ne!(a, b);
        let s = std::str::from_utf8(&a).unwrap();
        let parts: Vec<_> = s.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&s[14..15], "4");
        assert!(s.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
    }
}
