/** Builds ISO BMFF boxes into one growing buffer; box sizes are patched in when each box closes. */
export class BoxBuilder {
  private buffer = new Uint8Array(64 * 1024);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  box(type: string, writeBody: () => void): void {
    const start = this.length;
    this.u32(0);
    this.fourcc(type);
    writeBody();
    this.view.setUint32(start, this.length - start);
  }

  fullBox(type: string, version: number, flags: number, writeBody: () => void): void {
    this.box(type, () => {
      this.u8(version);
      this.u8((flags >> 16) & 0xff);
      this.u16(flags & 0xffff);
      writeBody();
    });
  }

  u8(value: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }
  u16(value: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }
  u32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
  }
  i32(value: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
  }
  u64(value: number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(value));
    this.length += 8;
  }
  i64(value: number): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt(value));
    this.length += 8;
  }
  fourcc(type: string): void {
    for (let i = 0; i < 4; i++) this.u8(type.charCodeAt(i));
  }
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }
  /** A big-endian uint32 array written in one go (stsz, stco, stss). */
  u32Array(values: Uint32Array): void {
    this.ensure(values.length * 4);
    for (let i = 0; i < values.length; i++) this.view.setUint32(this.length + i * 4, values[i] ?? 0);
    this.length += values.length * 4;
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.buffer.subarray(0, this.length));
    this.buffer = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/** A box header for a payload of `payloadSize` bytes; 64-bit size when needed. */
export function boxHeader(type: string, payloadSize: number): Uint8Array {
  const large = payloadSize + 8 > 0xffffffff;
  const builder = new BoxBuilder();
  builder.u32(large ? 1 : payloadSize + 8);
  builder.fourcc(type);
  if (large) builder.u64(payloadSize + 16);
  return builder.result().slice();
}
