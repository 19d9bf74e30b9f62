/* global RTCPeerConnection, MediaStream, fetch, location, URLSearchParams */
// Player: plays a stream from Spool over WHEP (draft-ietf-wish-whep): a recvonly offer is POSTed to
// /whep/NAME, the answer comes back with the session's Location, and Stop DELETEs it. Shows
// PLAYING / STOPPED / FAILED with the server's reason, and resolution and bitrate from getStats.
// Plain browser JS, no build step. ?server=…&name=… fill the form (links from other pages).
'use strict';

const { gathered, errorOf } = window.spoolExamples;

const CONNECT_TIMEOUT_MS = 15000;
const STATS_INTERVAL_MS = 1000;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('play-form'),
  serverUrl: $('server-url'),
  streamName: $('stream-name'),
  button: $('play-button'),
  volume: $('volume'),
  fullscreen: $('fullscreen-button'),
  status: $('status'),
  reason: $('status-reason'),
  stats: $('stats'),
  video: $('video'),
  screen: $('screen'),
};

/** The playback in progress: { pc, resource, connectTimer, statsTimer, lastBytes, lastAt }, or undefined. */
let session;

function setStatus(status, reason = '') {
  ui.status.textContent = status;
  ui.status.className = status.toLowerCase();
  ui.reason.textContent = reason;
}

function setButton(label, enabled) {
  ui.button.textContent = label;
  ui.button.disabled = !enabled;
}

function release(current) {
  clearTimeout(current.connectTimer);
  clearInterval(current.statsTimer);
  current.pc?.close();
  ui.video.srcObject = null;
  ui.stats.textContent = '';
  if (session === current) session = undefined;
}

/** FAILED with `reason`; the server's session, if any, is deleted in the background. */
function fail(current, reason) {
  if (session !== current) return;
  release(current);
  if (current.resource !== undefined) fetch(current.resource, { method: 'DELETE' }).catch(() => {});
  setStatus('FAILED', reason);
  setButton('Play', true);
}

async function play() {
  const current = {};
  session = current;
  setButton('Play', false);
  setStatus('STARTING');
  try {
    const server = new URL(ui.serverUrl.value);
    const name = ui.streamName.value.trim();
    const pc = new RTCPeerConnection();
    current.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const media = new MediaStream();
    ui.video.srcObject = media;
    pc.addEventListener('track', (event) => media.addTrack(event.track));
    pc.addEventListener('connectionstatechange', () => onConnectionState(current));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const endpoint = new URL(`/whep/${encodeURIComponent(name)}`, server);
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    if (response.status !== 201) throw new Error(await errorOf(response));
    current.resource = new URL(response.headers.get('Location'), response.url).toString();
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    current.connectTimer = setTimeout(
      () => fail(current, `not connected within ${CONNECT_TIMEOUT_MS / 1000} s (ICE)`),
      CONNECT_TIMEOUT_MS,
    );
  } catch (error) {
    fail(current, error.message);
  }
}

function onConnectionState(current) {
  if (session !== current) return;
  const state = current.pc.connectionState;
  if (state === 'connected') {
    clearTimeout(current.connectTimer);
    setStatus('PLAYING');
    setButton('Stop', true);
    current.statsTimer = setInterval(() => void showStats(current), STATS_INTERVAL_MS);
  } else if (state === 'failed') {
    fail(current, 'the ICE/DTLS connection failed');
  } else if (state === 'closed' || state === 'disconnected') {
    fail(
      current,
      state === 'closed' ? 'the connection was closed' : 'the stream ended or the network dropped',
    );
  }
}

/** Resolution and bitrate of the incoming video, from getStats. */
async function showStats(current) {
  if (session !== current) return;
  const report = await current.pc.getStats();
  for (const stats of report.values()) {
    if (stats.type !== 'inbound-rtp' || stats.kind !== 'video') continue;
    const now = stats.timestamp;
    const kbps =
      current.lastAt === undefined
        ? undefined
        : Math.round(((stats.bytesReceived - current.lastBytes) * 8) / (now - current.lastAt));
    current.lastBytes = stats.bytesReceived;
    current.lastAt = now;
    const size =
      stats.frameWidth === undefined ? 'no picture yet' : `${stats.frameWidth}x${stats.frameHeight}`;
    const fps = stats.framesPerSecond === undefined ? '' : `, ${Math.round(stats.framesPerSecond)} fps`;
    ui.stats.textContent = `${size}${fps}${kbps === undefined ? '' : `, ${kbps} kbps`}`;
  }
}

/** Stop: DELETE on the WHEP session. */
async function stop() {
  const current = session;
  if (current === undefined) return;
  setButton('Stop', false);
  session = undefined;
  release(current);
  try {
    await fetch(current.resource, { method: 'DELETE' });
  } catch {
    // the session ends with its connection anyway
  }
  setStatus('STOPPED');
  setButton('Play', true);
}

const params = new URLSearchParams(location.search);
ui.serverUrl.value = params.get('server') ?? location.origin;
ui.streamName.value = params.get('name') ?? '';
setButton('Play', true);
ui.volume.addEventListener('input', () => {
  ui.video.volume = Number(ui.volume.value);
  ui.video.muted = ui.video.volume === 0;
});
ui.fullscreen.addEventListener('click', () => void ui.screen.requestFullscreen?.());
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (session === undefined) void play();
  else void stop();
});
