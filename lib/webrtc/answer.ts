/**
 * werift's answer is edited as text, line by line, rather than parsed with sdp-transform (lib/sdp) and
 * written back: its writer re-serializes every line in its own order, while an answer with nothing to
 * change must go out byte for byte; and its candidate grammar stops after `network-cost`, so the
 * `ufrag d616` that werift writes after `generation 0` would be missing from the public-address copy.
 */
import type { IceSettings } from './ice-config.js';

export interface AnswerRewrite {
  readonly ice: Pick<IceSettings, 'addresses' | 'publicAddress'>;
  /** The video payload type of the answer, if there is video. */
  readonly videoPayloadType?: number;
  readonly startBitrateKbps: number;
}

/** werift's answer, adjusted before it is sent: candidates, and the browser's start bitrate. */
export function rewriteAnswer(sdp: string, rewrite: AnswerRewrite): string {
  let lines = answerCandidates(sdp.split('\r\n'), rewrite.ice);
  if (rewrite.videoPayloadType !== undefined) {
    lines = withStartBitrate(lines, rewrite.videoPayloadType, rewrite.startBitrateKbps);
  }
  return lines.join('\r\n');
}

/**
 * Only host candidates on configured addresses (all when none are configured), each repeated
 * with the public address: 1:1 NAT forwards the same port to us.
 */
function answerCandidates(lines: readonly string[], ice: AnswerRewrite['ice']): string[] {
  const configured = new Set(ice.addresses);
  const out: string[] = [];
  for (const line of lines) {
    const candidate = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/.exec(line);
    if (candidate === null) {
      out.push(line);
      continue;
    }
    const [, foundation, component, transport, priority, address, port, type, rest] = candidate;
    if (configured.size > 0 && !configured.has(address!)) continue;
    out.push(line);
    if (ice.publicAddress !== '' && ice.publicAddress !== address) {
      // A little less preferred than the host candidate it stands for: direct paths win on a LAN.
      const publicPriority = Math.max(1, Number(priority) - 1);
      out.push(
        `a=candidate:${foundation}p ${component} ${transport} ${publicPriority} ${ice.publicAddress} ${port} typ ${type}${rest}`,
      );
    }
  }
  return out;
}

/**
 * Chromium starts a new video sender at ~300 kbps and a small picture, and ramps up over tens of
 * seconds; `x-google-start-bitrate` in the answer makes it start at the given rate (REMB, sent
 * by the peer, keeps it there).
 */
function withStartBitrate(lines: readonly string[], payloadType: number, kbps: number): string[] {
  const parameter = `x-google-start-bitrate=${kbps}`;
  const fmtp = lines.findIndex((line) => line.startsWith(`a=fmtp:${payloadType} `));
  if (fmtp !== -1) return lines.map((line, i) => (i === fmtp ? `${line};${parameter}` : line));
  const rtpmap = lines.findIndex((line) => line.startsWith(`a=rtpmap:${payloadType} `));
  if (rtpmap === -1) return [...lines];
  return [...lines.slice(0, rtpmap + 1), `a=fmtp:${payloadType} ${parameter}`, ...lines.slice(rtpmap + 1)];
}
