import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Spool, isSpoolError } from '../../core/index.js';
import { LogCapture } from '../../test/helpers/log.js';
import { TempDir } from '../../test/helpers/tmp.js';
import { WebRtcIceToken } from './api.js';
import type { IngestWebRtcConfig } from './config.js';

const tmp = new TempDir('spool-webrtc-config-');
after(() => tmp.cleanup());
const pluginsFile = tmp.json('plugins.json', { plugins: [{ name: 'ingest-webrtc', enabled: true }] });

function create(options: { sets?: string[]; properties?: string }) {
  return Spool.create({
    pluginsFile,
    sets: ['http.port=0', ...(options.sets ?? [])],
    propertiesFiles:
      options.properties === undefined ? [] : [tmp.file('flashphoner.properties', options.properties)],
    env: {},
    logDestination: new LogCapture(),
  });
}

describe('ingest-webrtc config', () => {
  test("the reference server's properties keys set the ICE addresses and the media port range", async () => {
    const spool = await create({
      properties:
        'ip=203.0.113.7\nip_local=10.0.0.5, 127.0.0.1\nmedia_port_from=31001\nmedia_port_to=32000\n',
    });
    const ice = (spool.effectiveConfig.config.get('ingest-webrtc' as never) as IngestWebRtcConfig).ice;
    assert.deepEqual(ice, {
      addresses: ['10.0.0.5', '127.0.0.1'],
      publicAddress: '203.0.113.7',
      portMin: 31001,
      portMax: 32000,
      ipv6: false,
      receiveBufferBytes: 4194304,
    });
  });

  test('other plugins get the resolved ICE settings through WebRtcIceToken, frozen', async () => {
    const spool = await create({
      properties: 'ip_local=127.0.0.1\nmedia_port_from=31001\nmedia_port_to=32000\n',
    });
    const ice = spool.service(WebRtcIceToken);
    assert.deepEqual(ice, {
      addresses: ['127.0.0.1'],
      publicAddress: '',
      portMin: 31001,
      portMax: 32000,
      ipv6: false,
      receiveBufferBytes: 4194304,
    });
    assert.ok(Object.isFrozen(ice) && Object.isFrozen(ice.addresses));
  });

  test('settings that disagree stop start-up with the keys named', async () => {
    const refused = async (sets: string[], pattern: RegExp) => {
      await assert.rejects(
        async () => (await create({ sets })).start(),
        (error: unknown) => isSpoolError(error) && pattern.test(error.message),
      );
    };
    await refused(['ingest-webrtc.ice.portMin=40000'], /portMin \(40000\) and portMax \(0\)/);
    await refused(['ingest-webrtc.bitrate.startKbps=9000'], /startKbps \(9000\) is above bitrate\.maxKbps/);
    await refused(['ingest-webrtc.auth.enabled=true'], /auth\.tokens is empty/);
    await refused(['ingest-webrtc.ice.addresses=localhost'], /IP addresses/);
    await refused(['ingest-webrtc.auth.tokens=no-colon'], /LOGIN:TOKEN/);
  });
});
