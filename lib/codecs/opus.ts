/** Opus packet facts (RFC 6716 §3.1) and the OpusHead identification header (RFC 7845 §5.1). */

/** Frame length in 48 kHz samples of each TOC configuration number (0–31). */
function frameSamplesOfConfig(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2]!; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4]!; // CELT: 2.5, 5, 10, 20 ms
}

/**
 * Samples (at 48 kHz) one Opus packet decodes to, from its TOC byte and frame count; 0 for a packet
 * too short to tell. Container timestamps (WebM's milliseconds) round; this does not.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const perFrame = frameSamplesOfConfig(toc >> 3);
  const code = toc & 0x03;
  if (code === 0) return perFrame;
  if (code === 1 || code === 2) return 2 * perFrame;
  const count = packet[1];
  return count === undefined ? 0 : (count & 0x3f) * perFrame;
}

export interface OpusHead {
  readonly channels: number;
  /** Samples at 48 kHz to drop at the start (encoder delay). */
  readonly preSkip: number;
  /** The original input rate (informational; Opus always decodes at 48 kHz). */
  readonly inputSampleRate: number;
}

/** Builds an OpusHead for mapping family 0 (mono or stereo). */
export function buildOpusHead(head: OpusHead): Uint8Array {
  if (head.channels < 1 || head.channels > 2)
    throw new Error(`OpusHead: ${head.channels} channels needs a mapping table`);
  const bytes = Buffer.alloc(19);
  bytes.write('OpusHead', 0, 'latin1');
  bytes.writeUInt8(1, 8);
  bytes.writeUInt8(head.channels, 9);
  bytes.writeUInt16LE(head.preSkip, 10);
  bytes.writeUInt32LE(head.inputSampleRate, 12);
  bytes.writeInt16LE(0, 16);
  bytes.writeUInt8(0, 18);
  return new Uint8Array(bytes);
}

/** Parses an OpusHead; throws on anything else. */
export function parseOpusHead(bytes: Uint8Array): OpusHead {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 19 || buffer.toString('latin1', 0, 8) !== 'OpusHead') {
    throw new Error('not an OpusHead');
  }
  return {
    channels: buffer.readUInt8(9),
    preSkip: buffer.readUInt16LE(10),
    inputSampleRate: buffer.readUInt32LE(12),
  };
}
