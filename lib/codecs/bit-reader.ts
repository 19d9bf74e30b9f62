/** Reads bits MSB-first, with Exp-Golomb codes as H.264 uses them. */
export class BitReader {
  private bitOffset = 0;

  constructor(private readonly data: Uint8Array) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bitOffset;
  }

  bit(): number {
    if (this.bitOffset >= this.data.length * 8) throw new RangeError('read past the end of the data');
    const byte = this.data[this.bitOffset >> 3]!;
    const bit = (byte >> (7 - (this.bitOffset & 7))) & 1;
    this.bitOffset++;
    return bit;
  }

  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }

  skip(count: number): void {
    if (this.bitOffset + count > this.data.length * 8) throw new RangeError('read past the end of the data');
    this.bitOffset += count;
  }

  /** ue(v) */
  unsignedExpGolomb(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new RangeError('Exp-Golomb code too long');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v) */
  signedExpGolomb(): number {
    const code = this.unsignedExpGolomb();
    return code % 2 === 1 ? (code + 1) / 2 : -(code / 2);
  }
}
