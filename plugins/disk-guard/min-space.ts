/** file_recorder_min_space: bytes, or a number with a g (GiB) or m (MiB) suffix, as in "1g" or "1024m". */
export function parseMinSpace(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([gGmMkK])?\s*$/.exec(value);
  if (match === null) {
    throw new Error(`file_recorder_min_space "${value}" is not a size such as "1g" or "1024m"`);
  }
  const unit = (match[2] ?? '').toLowerCase();
  const multiplier = unit === 'g' ? 1024 ** 3 : unit === 'm' ? 1024 ** 2 : unit === 'k' ? 1024 : 1;
  return Math.round(Number(match[1]) * multiplier);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
