/**
 * FLV tag bodies as RTMP carries them: parsing what publishers send (ingest-rtmp) and building what
 * players get (play-rtmp), with the AMF0 both need. Plain functions, no plugin state.
 */
export * from './tags.js';
export * from './parse.js';
export { encodeAmf0, type Amf0Value } from './amf0.js';
export * from './media.js';
