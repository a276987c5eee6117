/**
 * CRC-32C (Castagnoli), as TFRecord framing uses it: reflected polynomial 0x82F63B78, initial
 * value 0xFFFFFFFF, final XOR 0xFFFFFFFF. Check values: crc32c("123456789") = 0xE3069283 and
 * crc32c(32 zero bytes) = 0x8A9136AA (the published check values).
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `data`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC that TFRecord stores: rotate right by 15 bits, then add 0xA282EAD8,
 * i.e. (((crc >>> 15) | (crc << 17)) + 0xa282ead8) mod 2^32.
 */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
