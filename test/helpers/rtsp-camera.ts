import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { DEBIAN_PACKAGES, debianInstall, skipOrFail } from './system-tool.js';

/** The Python that has GStreamer's bindings: Debian's, not a pyenv/venv one first on PATH. */
const PYTHON = process.env.SPOOL_TEST_PYTHON ?? '/usr/bin/python3';
/** From dist/test/helpers/ back to the source tree: tsc does not copy the script. */
const SCRIPT = fileURLToPath(new URL('../../../test/helpers/rtsp-camera.py', import.meta.url));
const ELEMENTS = ['x264enc', 'avenc_aac', 'rtph264pay', 'rtpmp4gpay', 'alawenc', 'rtppcmapay'];

export interface CameraOptions {
  /** 0 (default) = any free port; pass the old port to bring a killed camera back. */
  readonly port?: number;
  readonly path?: string;
  readonly audio?: 'aac' | 'pcma' | 'pcmu' | 'none';
  readonly user?: string;
  readonly password?: string;
  readonly auth?: 'basic' | 'digest';
  readonly keyint?: number;
  readonly inbandSps?: boolean;
}

let availability: string | undefined | null = null;

/** Why GStreamer's RTSP server cannot run here, or undefined when it can. */
export function gstreamerMissing(): string | undefined {
  if (availability !== null) return availability;
  const check = [
    'import gi',
    "gi.require_version('Gst', '1.0')",
    "gi.require_version('GstRtspServer', '1.0')",
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    `missing = [e for e in ${JSON.stringify(ELEMENTS)} if Gst.ElementFactory.find(e) is None]`,
    "print(' '.join(missing))",
  ].join('\n');
  const result = spawnSync(PYTHON, ['-c', check], { encoding: 'utf8', timeout: 20_000 });
  if (result.error !== undefined) availability = `${PYTHON}: ${result.error.message}`;
  else if (result.status !== 0)
    availability = `${PYTHON} cannot load GStreamer's RTSP server: ${result.stderr.trim()}`;
  else if (result.stdout.trim() !== '') availability = `GStreamer elements missing: ${result.stdout.trim()}`;
  else availability = undefined;
  return availability;
}

/**
 * True when test `t` may run the camera. Without GStreamer, `t` is skipped and this returns false; under
 * CI it fails instead (system-tool.ts).
 */
export function requireGStreamer(t: TestContext): boolean {
  const problem = gstreamerMissing();
  if (problem === undefined) return true;
  skipOrFail(t, {
    tool: "GStreamer's RTSP server (the test camera)",
    problem,
    install: debianInstall(DEBIAN_PACKAGES.gstreamer!),
    reason: 'pull a stream from an RTSP camera',
  });
  return false;
}

/** GStreamer's RTSP server (test/helpers/rtsp-camera.py) serving a live H.264 test pattern and a tone. */
export class RtspCamera {
  stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly options: CameraOptions,
  ) {}

  static async start(options: CameraOptions = {}): Promise<RtspCamera> {
    const args = [SCRIPT, '--port', String(options.port ?? 0), '--audio', options.audio ?? 'aac'];
    if (options.path !== undefined) args.push('--path', options.path);
    if (options.user !== undefined) args.push('--user', options.user, '--password', options.password ?? '');
    if (options.auth !== undefined) args.push('--auth', options.auth);
    if (options.keyint !== undefined) args.push('--keyint', String(options.keyint));
    if (options.inbandSps) args.push('--inband-sps');
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`the RTSP camera did not start: ${stderr}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /READY (\d+)/.exec(stdout);
        if (ready !== null) {
          clearTimeout(timer);
          resolve(Number(ready[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the RTSP camera exited with ${code}: ${stderr}`));
      });
    });
    const camera = new RtspCamera(child, port, options);
    child.stderr!.on('data', (chunk: Buffer) => (camera.stderr += chunk.toString()));
    return camera;
  }

  /** rtsp://[user:password@]127.0.0.1:PORT/cam; credentials are URL-escaped. */
  url(credentials?: { user: string; password: string }): string {
    const auth =
      credentials === undefined
        ? ''
        : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
    return `rtsp://${auth}127.0.0.1:${this.port}${this.options.path ?? '/cam'}`;
  }

  /** Kills the camera process (SIGKILL: it says nothing, the kernel just closes its sockets) and waits. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }

  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }
}
