/**
 * File formats recognised by their first bytes (magic numbers). An upload's format is what its content is, whatever
 * filename or Content-Type the client claims.
 */
export type MediaFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'mp3' | 'amr' | 'mp4';

export const FORMAT_INFO: Record<MediaFormat, { contentType: string; ext: string }> = {
  png: { contentType: 'image/png', ext: 'png' },
  jpeg: { contentType: 'image/jpeg', ext: 'jpg' },
  gif: { contentType: 'image/gif', ext: 'gif' },
  bmp: { contentType: 'image/bmp', ext: 'bmp' },
  mp3: { contentType: 'audio/mpeg', ext: 'mp3' },
  amr: { contentType: 'audio/amr', ext: 'amr' },
  mp4: { contentType: 'video/mp4', ext: 'mp4' },
};

const startsWith = (bytes: Buffer, prefix: number[] | string, at = 0) => {
  const expected = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : Buffer.from(prefix);
  return bytes.length >= at + expected.length && bytes.subarray(at, at + expected.length).equals(expected);
};

/** An MPEG audio frame header: 11 sync bits, a defined version and layer, a bitrate index other than "bad". */
function isMpegAudioFrame(bytes: Buffer): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || (bytes[1]! & 0xe0) !== 0xe0) return false;
  const version = (bytes[1]! >> 3) & 0b11;
  const layer = (bytes[1]! >> 1) & 0b11;
  const bitrate = bytes[2]! >> 4;
  return version !== 0b01 && layer !== 0b00 && bitrate !== 0b1111;
}

export function detectFormat(bytes: Buffer): MediaFormat | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
  // BITMAPFILEHEADER: "BM", then the file size, two reserved zero words.
  if (startsWith(bytes, 'BM') && bytes.length >= 14 && bytes.readUInt32LE(6) === 0) return 'bmp';
  if (startsWith(bytes, '#!AMR')) return 'amr';
  if (startsWith(bytes, 'ID3') || isMpegAudioFrame(bytes)) return 'mp3';
  // ISO base media: a box size, then the first box's type "ftyp".
  if (startsWith(bytes, 'ftyp', 4)) return 'mp4';
  return undefined;
}
