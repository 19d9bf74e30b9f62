import { DEFAULT_MAX_RTP_PAYLOAD_BYTES } from './h264-packetizer.js';

/**
 * RFC 7741 VP8 payloads for a sender: each frame is cut into packets behind a payload descriptor
 * with a 15-bit PictureID (X=1, I=1, M=1), S=1 on the first packet of the frame, partition index 0
 * (partition boundaries are not tracked: any cut is allowed). The PictureID lets the receiver tell
 * a lost frame from a late one, so it counts per sender: one packetizer per viewer. The caller sets
 * the marker bit on the last payload of the frame.
 */
export class Vp8Packetizer {
  private pictureId: number;

  constructor(
    private readonly maxPayloadBytes = DEFAULT_MAX_RTP_PAYLOAD_BYTES,
    firstPictureId = Math.floor(Math.random() * 0x8000),
  ) {
    if (maxPayloadBytes < 100) throw new RangeError(`maxPayloadBytes ${maxPayloadBytes} is too small`);
    this.pictureId = firstPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array): Buffer[] {
    const pictureId = this.pictureId;
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    const chunk = this.maxPayloadBytes - DESCRIPTOR_BYTES;
    const payloads: Buffer[] = [];
    for (let offset = 0; offset < frame.length || offset === 0; offset += chunk) {
      const end = Math.min(frame.length, offset + chunk);
      const payload = Buffer.alloc(DESCRIPTOR_BYTES + end - offset);
      payload[0] = 0x80 | (offset === 0 ? 0x10 : 0); // X, S; N=0, PID=0
      payload[1] = 0x80; // I: a PictureID follows
      payload[2] = 0x80 | (pictureId >> 8); // M: 15 bits
      payload[3] = pictureId & 0xff;
      payload.set(frame.subarray(offset, end), DESCRIPTOR_BYTES);
      payloads.push(payload);
      if (end === frame.length) break;
    }
    return payloads;
  }
}

const DESCRIPTOR_BYTES = 4;
