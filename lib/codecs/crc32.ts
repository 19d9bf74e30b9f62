/** The unreflected CRC-32 with polynomial 0x04C11DB7 that MPEG-TS sections and Ogg pages use. */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

/** CRC over `bytes` from `initial`, no reflection, no final xor. */
function crc32(bytes: Uint8Array, initial: number): number {
  let crc = initial;
  for (const byte of bytes) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** CRC-32/MPEG-2 (initial 0xFFFFFFFF): PAT/PMT sections. */
export function crc32Mpeg2(bytes: Uint8Array): number {
  return crc32(bytes, 0xffffffff);
}

/** Ogg's page checksum (initial 0). */
export function crc32Ogg(bytes: Uint8Array): number {
  return crc32(bytes, 0);
}
