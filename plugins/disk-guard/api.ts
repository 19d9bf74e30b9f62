import { createToken } from '../../core/index.js';

/** The disk guard's limit, adjustable at run time (e.g. by an admin plugin or a test). */
export interface DiskGuard {
  /** file_recorder_min_space in bytes. */
  minSpaceBytes: number;
  /** Free bytes in `dir` for unprivileged users, as the guard sees it. */
  freeBytes(dir: string): Promise<number>;
}

export const DiskGuardToken = createToken<DiskGuard>('disk-guard');
