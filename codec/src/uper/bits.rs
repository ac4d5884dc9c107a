//! Bit-level reader and writer for Unaligned PER.
//!
//! No panics: every read checks the bits left first and returns [`Short`] when the input
//! ends early, so a declared length can never make the reader allocate beyond the input.

/// Writes bits most-significant first into a byte vector.
pub struct BitWriter<'a> {
    buf: &'a mut Vec<u8>,
    /// Bits used in the last byte of `buf` (0 = byte-aligned).
    used: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `buf` (which should be empty).
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        BitWriter { buf, used: 0 }
    }

    /// Writes the low `n` bits of `value` (n ≤ 32).
    pub(crate) fn bits(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 32);
        let mut left = n;
        while left > 0 {
            if self.used == 0 {
                self.buf.push(0);
            }
            let room = 8 - self.used;
            let take = room.min(left);
            let chunk = (value >> (left - take)) & ((1u32 << take) - 1);
            if let Some(last) = self.buf.last_mut() {
                // chunk < 2^take ≤ 2^room, so it fits below the used bits.
                *last |= (chunk << (room - take)) as u8;
            }
            self.used = (self.used + take) % 8;
            left -= take;
        }
    }

    /// Writes whole octets at the current (possibly unaligned) position.
    pub(crate) fn octets(&mut self, bytes: &[u8]) {
        if self.used == 0 {
            self.buf.extend_from_slice(bytes);
            return;
        }
        let shift = self.used;
        self.buf.reserve(bytes.len());
        for &b in bytes {
            if let Some(last) = self.buf.last_mut() {
                *last |= b >> shift;
            }
            self.buf.push(b << (8 - shift));
        }
    }

    /// Ends the encoding: X.691 10.1.3 wants at least one octet.
    pub(crate) fn finish(self) {
        if self.buf.is_empty() {
            self.buf.push(0);
        }
    }
}

/// The input ended before the bits a field needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    /// Bits the field needed.
    pub(crate) needed: usize,
    /// Bits that were left.
    pub(crate) left: usize,
}

/// Reads bits most-significant first.
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// Bits left in the input.
    pub(crate) fn left(&self) -> usize {
        self.data.len() * 8 - self.pos
    }

    fn need(&self, needed: usize) -> Result<(), Short> {
        let left = self.left();
        if needed > left {
            Err(Short { needed, left })
        } else {
            Ok(())
        }
    }

    /// Reads `n` bits (n ≤ 32) as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u32, Short> {
        self.need(n as usize)?;
        let mut value = 0u32;
        let mut left = n;
        while left > 0 {
            let byte = self.data[self.pos / 8];
            let offset = (self.pos % 8) as u32;
            let avail = 8 - offset;
            let take = avail.min(left);
            let chunk = (u32::from(byte) >> (avail - take)) & ((1u32 << take) - 1);
            value = (value << take) | chunk;
            self.pos += take as usize;
            left -= take;
        }
        Ok(value)
    }

    /// Appends `n` octets read at the current position to `out`; checks the length first.
    pub(crate) fn octets_into(&mut self, n: usize, out: &mut Vec<u8>) -> Result<(), Short> {
        self.need(n.saturating_mul(8))?;
        let offset = self.pos % 8;
        let start = self.pos / 8;
        if offset == 0 {
            out.extend_from_slice(&self.data[start..start + n]);
        } else {
            out.reserve(n);
            for i in start..start + n {
                let hi = self.data[i] << offset;
                let lo = self.data[i + 1] >> (8 - offset);
                out.push(hi | lo);
            }
        }
        self.pos += n * 8;
        Ok(())
    }

    /// The whole octets after the current position rounded up to an octet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.data[self.pos.div_ceil(8)..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_octets_round_trip_unaligned() {
        let mut buf = Vec::new();
        let mut w = BitWriter::new(&mut buf);
        w.bits(0b101, 3);
        w.octets(&[0xab, 0xcd]);
        w.bits(0x3ff, 10);
        w.finish();
        let mut r = BitReader::new(&buf);
        assert_eq!(r.bits(3), Ok(0b101));
        let mut out = Vec::new();
        r.octets_into(2, &mut out).unwrap();
        assert_eq!(out, [0xab, 0xcd]);
        assert_eq!(r.bits(10), Ok(0x3ff));
        assert_eq!(r.left(), 3);
        assert!(r.rest().is_empty());
        assert_eq!(r.bits(4), Err(Short { needed: 4, left: 3 }));
        assert!(r.octets_into(usize::MAX, &mut out).is_err());
    }

    #[test]
    fn empty_encoding_is_one_octet() {
        let mut buf = Vec::new();
        BitWriter::new(&mut buf).finish();
        assert_eq!(buf, [0]);
    }
}
