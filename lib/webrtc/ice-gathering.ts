import type { RTCPeerConnection } from 'werift';

/** Host candidates only (no STUN server): gathering takes milliseconds; this only bounds a hang. */
const GATHERING_TIMEOUT_MS = 5000;

/** Resolves once `pc` has gathered all its candidates. */
export async function iceGathered(pc: RTCPeerConnection, timeoutMs = GATHERING_TIMEOUT_MS): Promise<void> {
  if (pc.iceGatheringState !== 'complete') {
    await pc.iceGatheringStateChange.watch((state) => state === 'complete', timeoutMs);
  }
}

/**
 * Applies a remote offer and resolves with werift's answer once every candidate is gathered: WHIP
 * and WHEP answers are not trickled, so the answer carries all candidates.
 */
export async function answerWithCandidates(pc: RTCPeerConnection, offerSdp: string): Promise<string> {
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await iceGathered(pc);
  const sdp = pc.localDescription?.sdp;
  if (sdp === undefined) throw new Error('werift produced no answer');
  return sdp;
}
