// What the WHIP (Stream Recording) and WHEP (Player) pages share: non-trickle ICE, and the reason in
// the server's error answers. Plain browser JS, loaded before each page's app.js.
'use strict';

const GATHERING_TIMEOUT_MS = 3000;

window.spoolExamples = {
  /** The offer is sent once ICE gathering is complete (or after a timeout): no trickle ICE. */
  gathered(pc) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, GATHERING_TIMEOUT_MS);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  },

  /** The reason in an error answer: the JSON body's `error`, else its text, else the status. */
  async errorOf(response) {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      if (body && typeof body.error === 'string') return `${body.error} (HTTP ${response.status})`;
    } catch {
      // not JSON
    }
    return text.trim() !== '' ? `${text.trim()} (HTTP ${response.status})` : `HTTP ${response.status}`;
  },
};
