import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { FFMPEG } from './media-tools.js';

export interface PublishOptions {
  readonly url: string;
  readonly seconds: number;
  /** B-frames per GOP gap (-bf); 0 = none. */
  readonly bFrames?: number;
  readonly video?: boolean;
  readonly audio?: boolean;
  readonly size?: string;
  /** Frames per GOP at 30 fps (-g); 30 by default (a keyframe a second). */
  readonly gop?: number;
  /** More x264 options after the usual ones (e.g. a high bitrate). */
  readonly videoArgs?: readonly string[];
  /** A command that execs ffmpeg, e.g. `['ip', 'netns', 'exec', NS]` to publish inside a test namespace. */
  readonly prefix?: readonly string[];
}

/** ffmpeg publishing a live test pattern and a tone over RTMP in real time (-re), as a user would. */
export class RtmpPublisher {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(options: PublishOptions) {
    const video = options.video ?? true;
    const audio = options.audio ?? true;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-re'];
    if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${options.size ?? '640x360'}:rate=30`);
    if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100');
    args.push('-t', String(options.seconds));
    if (video) {
      args.push(
        '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
        '-g', String(options.gop ?? 30), '-keyint_min', String(options.gop ?? 30), '-sc_threshold', '0',
        '-bf', String(options.bFrames ?? 0), ...(options.videoArgs ?? []),
      ); // prettier-ignore
      // zerolatency disables B-frames; put them back when asked for.
      if ((options.bFrames ?? 0) > 0) args.push('-x264-params', `bframes=${options.bFrames}`);
    }
    if (audio) args.push('-c:a', 'aac', '-b:a', '96k', '-ar', '44100', '-ac', '2');
    args.push('-f', 'flv', options.url);
    const command = [...(options.prefix ?? []), FFMPEG, ...args];
    this.child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
