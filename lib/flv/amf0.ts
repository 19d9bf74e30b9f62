/** AMF0 (the script data of FLV and RTMP): a reader for what publishers send, a writer for onMetaData. */

const MAX_AMF_DEPTH = 16;

/** Just enough AMF0 for onMetaData. Throws on truncation, unknown markers or absurd nesting. */
export class Amf0Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  value(depth = 0): unknown {
    if (depth > MAX_AMF_DEPTH) throw new Error('AMF0 nested too deeply');
    const marker = this.take(1)[0];
    switch (marker) {
      case 0x00:
        return this.view.getFloat64(this.advance(8));
      case 0x01:
        return this.take(1)[0] !== 0;
      case 0x02:
        return this.string(2);
      case 0x0c:
        return this.string(4);
      case 0x03:
        return this.properties(depth);
      case 0x08:
        this.advance(4); // ECMA array: the count is a hint, the end marker is what counts
        return this.properties(depth);
      case 0x0a: {
        const count = this.view.getUint32(this.advance(4));
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
        return items;
      }
      case 0x0b: {
        const millis = this.view.getFloat64(this.advance(8));
        this.advance(2);
        return new Date(millis);
      }
      case 0x05:
        return null;
      case 0x06:
        return undefined;
      default:
        throw new Error(`AMF0 marker ${marker} at ${this.offset - 1}`);
    }
  }

  private properties(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (;;) {
      const key = this.string(2);
      if (key === '' && this.bytes[this.offset] === 0x09) {
        this.offset++;
        return result;
      }
      result[key] = this.value(depth + 1);
    }
  }

  private string(lengthBytes: 2 | 4): string {
    const at = this.advance(lengthBytes);
    const length = lengthBytes === 2 ? this.view.getUint16(at) : this.view.getUint32(at);
    return Buffer.from(this.take(length)).toString('utf8');
  }

  private take(length: number): Uint8Array {
    const at = this.advance(length);
    return this.bytes.subarray(at, at + length);
  }

  private advance(length: number): number {
    if (this.offset + length > this.bytes.length) throw new Error('AMF0 data truncated');
    const at = this.offset;
    this.offset += length;
    return at;
  }
}

/** A value Amf0Writer can encode: what onMetaData carries. */
export type Amf0Value = number | boolean | string | null | { readonly [key: string]: Amf0Value };

/** AMF0 encoding of numbers, booleans, strings (short and long), null and objects. */
export function encodeAmf0(...values: readonly Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) writeValue(parts, value);
  return Buffer.concat(parts);
}

function writeValue(parts: Buffer[], value: Amf0Value): void {
  if (value === null) {
    parts.push(Buffer.of(0x05));
  } else if (typeof value === 'number') {
    const number = Buffer.alloc(9);
    number.writeDoubleBE(value, 1);
    parts.push(number);
  } else if (typeof value === 'boolean') {
    parts.push(Buffer.of(0x01, value ? 1 : 0));
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > 0xffff) {
      const head = Buffer.alloc(5);
      head[0] = 0x0c;
      head.writeUInt32BE(bytes.length, 1);
      parts.push(head, bytes);
    } else {
      parts.push(Buffer.of(0x02), shortStringBytes(bytes));
    }
  } else {
    parts.push(Buffer.of(0x03));
    for (const [key, item] of Object.entries(value)) {
      parts.push(shortStringBytes(Buffer.from(key, 'utf8')));
      writeValue(parts, item);
    }
    parts.push(Buffer.of(0, 0, 0x09));
  }
}

function shortStringBytes(bytes: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(Math.min(bytes.length, 0xffff));
  return Buffer.concat([length, bytes.subarray(0, 0xffff)]);
}
