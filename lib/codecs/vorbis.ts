/**
 * Vorbis headers (Vorbis I specification §4.2): the three header packets, and the Xiph lacing that stores
 * them together as one decoder configuration (Matroska's CodecPrivate).
 */

export interface VorbisHeaders {
  readonly identification: Uint8Array;
  readonly comment: Uint8Array;
  readonly setup: Uint8Array;
}

const HEADER_TYPES = { identification: 1, comment: 3, setup: 5 } as const;

/** Whether `packet` is the Vorbis header of this type ("\x01vorbis" …). */
export function isVorbisHeader(packet: Uint8Array, type: keyof typeof HEADER_TYPES): boolean {
  return (
    packet.length >= 7 &&
    packet[0] === HEADER_TYPES[type] &&
    Buffer.from(packet.subarray(1, 7)).toString('latin1') === 'vorbis'
  );
}

/** The three headers in Xiph lacing: packet count - 1, the lengths of all but the last, then the packets. */
export function xiphLace(headers: VorbisHeaders): Uint8Array {
  const { identification, comment, setup } = headers;
  const lacing = [identification, comment].flatMap((packet) => [
    ...Array<number>(Math.floor(packet.length / 255)).fill(255),
    packet.length % 255,
  ]);
  return new Uint8Array(Buffer.concat([Uint8Array.of(2, ...lacing), identification, comment, setup]));
}

/** The three headers from Xiph-laced bytes; throws when they are not Vorbis headers. */
export function xiphUnlace(config: Uint8Array): VorbisHeaders {
  if (config[0] !== 2) throw new Error('Vorbis config: not three Xiph-laced packets');
  let offset = 1;
  const lengths: number[] = [];
  for (let i = 0; i < 2; i++) {
    let length = 0;
    let value: number | undefined;
    do {
      value = config[offset++];
      if (value === undefined) throw new Error('Vorbis config: lacing runs past the end');
      length += value;
    } while (value === 255);
    lengths.push(length);
  }
  const [first, second] = lengths as [number, number];
  if (offset + first + second >= config.length) throw new Error('Vorbis config: packets run past the end');
  const headers = {
    identification: config.subarray(offset, offset + first),
    comment: config.subarray(offset + first, offset + first + second),
    setup: config.subarray(offset + first + second),
  };
  for (const type of ['identification', 'comment', 'setup'] as const) {
    if (!isVorbisHeader(headers[type], type)) throw new Error(`Vorbis config: no ${type} header`);
  }
  return headers;
}
