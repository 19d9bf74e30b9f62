/* global RTCPeerConnection, RTCRtpSender, URLSearchParams, navigator, fetch, location */
// Stream Recording: publishes the camera and microphone to Spool over WHIP (RFC 9725) with
// record=true; on Stop the DELETE answers with the recording's file name (as the reference's
// getRecordInfo), and the page links to it. Plain browser JS, no build step.
'use strict';

const { gathered, errorOf } = window.spoolExamples;

const CONNECT_TIMEOUT_MS = 15000;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('publish-form'),
  serverUrl: $('server-url'),
  streamName: $('stream-name'),
  button: $('start-button'),
  status: $('status'),
  reason: $('status-reason'),
  preview: $('preview'),
  links: $('record-links'),
  liveLink: $('live-link'),
  watchLive: $('watch-live'),
};

/** The publish in progress: { pc, media, resource, connectTimer }, or undefined. */
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

/** Prefers H.264 (packetization-mode 1: recorded to MP4); other codecs stay as fallbacks. */
function preferH264(transceiver) {
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  const isH264 = (c) =>
    c.mimeType.toLowerCase() === 'video/h264' && (c.sdpFmtpLine ?? '').includes('packetization-mode=1');
  const ordered = [...codecs.filter(isH264), ...codecs.filter((c) => !isH264(c))];
  if (ordered.length > 0) transceiver.setCodecPreferences(ordered);
}

function release(current) {
  ui.liveLink.hidden = true;
  clearTimeout(current.connectTimer);
  current.pc?.close();
  for (const track of current.media?.getTracks() ?? []) track.stop();
  ui.preview.srcObject = null;
  if (session === current) session = undefined;
}

/** FAILED with `reason`; the server's resource, if any, is deleted in the background. */
function fail(current, reason) {
  if (session !== current) return;
  release(current);
  if (current.resource !== undefined) fetch(current.resource, { method: 'DELETE' }).catch(() => {});
  setStatus('FAILED', reason);
  setButton('Start', true);
}

async function cameraAndMic() {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (error) {
    throw new Error(`camera or microphone not available: ${error.name}: ${error.message}`, { cause: error });
  }
}

async function start() {
  const current = {};
  session = current;
  setButton('Start', false);
  setStatus('STARTING');
  ui.links.hidden = true;
  ui.links.replaceChildren();
  try {
    const server = new URL(ui.serverUrl.value);
    const name = ui.streamName.value.trim();
    current.media = await cameraAndMic();
    ui.preview.srcObject = current.media;
    const pc = new RTCPeerConnection();
    current.pc = pc;
    for (const track of current.media.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
      if (track.kind === 'video') preferH264(transceiver);
    }
    pc.addEventListener('connectionstatechange', () => onConnectionState(current));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const endpoint = new URL(`/whip/${encodeURIComponent(name)}?record=true`, server);
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    if (response.status !== 201) throw new Error(await errorOf(response));
    current.resource = new URL(response.headers.get('Location'), response.url).toString();
    current.mediaSessionId = response.headers.get('X-Spool-Media-Session-Id') ?? undefined;
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
    setStatus('PUBLISHING');
    setButton('Stop', true);
    const player = new URL('../player/', location.href);
    player.search = new URLSearchParams({
      server: ui.serverUrl.value,
      name: ui.streamName.value.trim(),
    }).toString();
    ui.watchLive.href = player.toString();
    ui.liveLink.hidden = false;
  } else if (state === 'failed') {
    fail(current, 'the ICE/DTLS connection failed');
  } else if (state === 'closed') {
    fail(current, 'the connection was closed');
  }
}

/** Stop: DELETE on the WHIP resource; its answer names the recordings. */
async function stop() {
  const current = session;
  if (current === undefined) return;
  setButton('Stop', false);
  setStatus('STOPPING');
  session = undefined;
  try {
    const response = await fetch(current.resource, { method: 'DELETE' });
    if (!response.ok) throw new Error(await errorOf(response));
    const info = await response.json();
    release(current);
    setStatus('UNPUBLISHED');
    showRecordings(info.recordings ?? []);
  } catch (error) {
    release(current);
    setStatus('FAILED', `stop: ${error.message}`);
  }
  setButton('Start', true);
}

function link(text, href, className) {
  const a = document.createElement('a');
  a.textContent = text;
  a.href = href;
  a.className = className;
  return a;
}

function showRecordings(recordings) {
  ui.links.replaceChildren();
  if (recordings.length === 0) {
    ui.links.textContent = 'Nothing was recorded (is the recorder enabled?).';
  }
  for (const recording of recordings) {
    const url = new URL(recording.url, ui.serverUrl.value).toString();
    const row = document.createElement('p');
    const play = link('Play', url, 'play-link');
    play.target = '_blank';
    const download = link('Download', url, 'download-link');
    download.download = recording.fileName;
    const seconds = (recording.durationMs / 1000).toFixed(1);
    row.append(`${recording.fileName} (${seconds} s) `, play, download);
    ui.links.append(row);
  }
  ui.links.hidden = false;
}

ui.serverUrl.value = location.origin;
ui.streamName.value = `stream-${Math.random().toString(16).slice(2, 8)}`;
setButton('Start', true);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (session === undefined) void start();
  else void stop();
});
