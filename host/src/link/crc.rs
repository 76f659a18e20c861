//! CRC-32 as Ethernet's FCS computes it (IEEE 802.3: reflected polynomial 0xEDB88320,
//! initial value 0xFFFFFFFF, final xor 0xFFFFFFFF). The link appends it little-endian,
//! the order in which the hardware's bytewise CRC shifts it out.

/// One 256-entry table built at compile time: bytewise, as the FPGA framer does it.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn check_value() {
        // The catalogue "check" value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn ethernet_residue() {
        // A frame followed by its FCS (little-endian) leaves the well-known residue.
        let mut f = b"any frame at all".to_vec();
        let c = crc32(&f);
        f.extend_from_slice(&c.to_le_bytes());
        assert_eq!(crc32(&f), 0x2144_DF1C);
    }
}
