/**
 * A small TIFF reader for the tests (TIFF 6.0 §2: header, IFD chain; §8 baseline tags): the
 * pages of a file with the tags a fax system checks.
 */
export interface TiffPage {
  width: number;
  length: number;
  /** Tag 259: 3 = CCITT T.4 (Group 3), 4 = T.6 (Group 4). */
  compression: number;
  xResolution: number;
  yResolution: number;
  /** Tag 296: 2 = inch. */
  resolutionUnit: number;
}

export function readTiff(data: Buffer): TiffPage[] {
  const order = data.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw new Error('not a TIFF file');
  const little = order === 'II';
  const u16 = (offset: number) => (little ? data.readUInt16LE(offset) : data.readUInt16BE(offset));
  const u32 = (offset: number) => (little ? data.readUInt32LE(offset) : data.readUInt32BE(offset));
  if (u16(2) !== 42) throw new Error('bad TIFF magic number');
  const pages: TiffPage[] = [];
  let ifd = u32(4);
  while (ifd !== 0 && pages.length < 1000) {
    const count = u16(ifd);
    const tags = new Map<number, number>();
    for (let index = 0; index < count; index++) {
      const entry = ifd + 2 + index * 12;
      const tag = u16(entry);
      const type = u16(entry + 2);
      const valueOffset = entry + 8;
      let value: number;
      if (type === 3) value = u16(valueOffset);
      else if (type === 4) value = u32(valueOffset);
      else if (type === 5) {
        const pointer = u32(valueOffset);
        value = u32(pointer) / u32(pointer + 4);
      } else continue;
      tags.set(tag, value);
    }
    pages.push({
      width: tags.get(256) ?? 0,
      length: tags.get(257) ?? 0,
      compression: tags.get(259) ?? 1,
      xResolution: tags.get(282) ?? 0,
      yResolution: tags.get(283) ?? 0,
      resolutionUnit: tags.get(296) ?? 2,
    });
    ifd = u32(ifd + 2 + count * 12);
  }
  return pages;
}
