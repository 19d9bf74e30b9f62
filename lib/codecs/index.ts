/**
 * Codec helpers of the media library: bitstream parsing and building for the codecs Spool carries.
 * Plain functions, no plugin state; any plugin imports them from here.
 */
export * as h264 from './h264.js';
export * as aac from './aac.js';
export * as opus from './opus.js';
export * as adts from './adts.js';
export * as crc32 from './crc32.js';
export * as vorbis from './vorbis.js';
