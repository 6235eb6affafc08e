/**
 * Mail → fax document: a cover page with the header fields and the plain text, then every PDF
 * and image attachment, rendered by Ghostscript into one multi-page TIFF class F file
 * (ITU-T T.4 Group 3, "fine" resolution 204×196 dpi, A4), the format fax systems such as HylaFAX
 * send as is.
 *
 * How each part becomes pages:
 * - text: PostScript written here (Courier 10 pt, ISO Latin-1; characters outside it print as
 *   "?"), wrapped at the page width, as many pages as needed;
 * - PDF: given to Ghostscript directly, scaled to A4 (-dPDFFitPage);
 * - JPEG: embedded in PostScript through /DCTDecode (PLRM 3rd ed. §3.13), scaled to fit;
 * - PNG (8-bit grey or RGB, not interlaced): its zlib stream through /FlateDecode with the PNG
 *   predictors (/Predictor 15, PLRM §3.13.3), scaled to fit;
 * - anything else: listed on the cover page as not rendered, so the recipient knows.
 *
 * Invariants: Ghostscript runs with -dSAFER and -dBATCH, never through a shell, with a time
 * limit; the work folder is removed afterwards whatever happens.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

export interface FaxAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface FaxContent {
  from: string;
  to: string;
  subject: string;
  date: Date;
  text: string;
  attachments: FaxAttachment[];
}

export interface RenderOptions {
  /** Ghostscript executable. */
  gs: string;
  /** Folder for the work folder; default the system's. */
  tempDir?: string;
  timeoutMs: number;
}

export interface RenderedFax {
  tiff: Buffer;
  /** Attachments that could not be rendered (named on the cover page). */
  skipped: string[];
}

const PAGE = { width: 595, height: 842, margin: 50 } as const;
const FONT_SIZE = 10;
const LINE_HEIGHT = 12;
const COLUMNS = 82;

/** Renders the fax; rejects when Ghostscript fails. */
export async function renderFax(content: FaxContent, options: RenderOptions): Promise<RenderedFax> {
  const work = await mkdtemp(join(options.tempDir ?? tmpdir(), 'bh-fax-'));
  try {
    const inputs: string[] = [];
    const skipped: string[] = [];
    const pages: Array<{ file: string; data: Buffer }> = [];
    for (const [index, attachment] of content.attachments.entries()) {
      const type = attachment.contentType.toLowerCase();
      if (type === 'application/pdf' || attachment.content.subarray(0, 5).toString('latin1') === '%PDF-') {
        pages.push({ file: join(work, `part-${index}.pdf`), data: attachment.content });
        continue;
      }
      const image = imagePostScript(attachment.content);
      if (image) pages.push({ file: join(work, `part-${index}.ps`), data: Buffer.from(image, 'latin1') });
      else skipped.push(`${attachment.filename} (${attachment.contentType})`);
    }
    const cover = join(work, 'cover.ps');
    await writeFile(cover, coverPostScript(content, skipped), 'latin1');
    inputs.push(cover);
    for (const page of pages) {
      await writeFile(page.file, page.data);
      inputs.push(page.file);
    }
    const output = join(work, 'fax.tif');
    await run(options.gs, [
      '-q', '-dSAFER', '-dBATCH', '-dNOPAUSE',
      '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', '-dFIXEDMEDIA', '-dPDFFitPage',
      `-sOutputFile=${output}`,
      ...inputs,
    ], options.timeoutMs);
    return { tiff: await readFile(output), skipped };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${String(stderr).trim().split('\n').slice(0, 3).join(' ') || error.message}`));
      else resolve();
    });
  });
}

/** A PostScript string literal in ISO Latin-1; other characters become "?" (PLRM §3.2.2). */
function psString(text: string): string {
  let out = '(';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 63;
    if (char === '(' || char === ')' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code >= 0xa0 && code <= 0xff) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += '?';
  }
  return `${out})`;
}

/** Wraps text at `width` columns, breaking at spaces where possible; tabs become spaces. */
export function wrapLines(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')) {
    let line = raw.trimEnd();
    while ([...line].length > width) {
      const chars = [...line];
      const head = chars.slice(0, width).join('');
      const space = head.lastIndexOf(' ');
      const cut = space > width / 2 ? space : width;
      lines.push(chars.slice(0, cut).join('').trimEnd());
      line = chars.slice(cut).join('').trimStart();
    }
    lines.push(line);
  }
  return lines;
}

function coverPostScript(content: FaxContent, skipped: string[]): string {
  const header = [
    `From:    ${content.from}`,
    `To:      ${content.to}`,
    `Date:    ${content.date.toUTCString()}`,
    `Subject: ${content.subject}`,
  ];
  const notes = skipped.map((name) => `[attachment not rendered: ${name}]`);
  const lines = [...header.flatMap((line) => wrapLines(line, COLUMNS)), '', ...wrapLines(content.text, COLUMNS), ...(notes.length ? ['', ...notes] : [])];
  const perPage = Math.floor((PAGE.height - 2 * PAGE.margin) / LINE_HEIGHT);
  const out = [
    '%!PS-Adobe-3.0',
    '/Courier findfont dup length dict begin { 1 index /FID ne { def } { pop pop } ifelse } forall',
    '/Encoding ISOLatin1Encoding def currentdict end /Courier-Latin1 exch definefont pop',
  ];
  for (let start = 0; start < Math.max(lines.length, 1); start += perPage) {
    out.push(`/Courier-Latin1 findfont ${FONT_SIZE} scalefont setfont`);
    lines.slice(start, start + perPage).forEach((line, row) => {
      out.push(`${PAGE.margin} ${PAGE.height - PAGE.margin - (row + 1) * LINE_HEIGHT} moveto ${psString(line)} show`);
    });
    out.push('showpage');
  }
  return `${out.join('\n')}\n`;
}

interface ImageInfo {
  width: number;
  height: number;
  colors: number;
  colorSpace: string;
  /** The filter chain after ASCIIHexDecode, and the data it reads. */
  filter: string;
  data: Buffer;
  decode?: string;
}

/** A one-page PostScript program showing the image scaled to fit, or null for unsupported images. */
export function imagePostScript(content: Buffer): string | null {
  const info = jpegInfo(content) ?? pngInfo(content);
  if (!info) return null;
  const box = { width: PAGE.width - 2 * PAGE.margin, height: PAGE.height - 2 * PAGE.margin };
  const scale = Math.min(box.width / info.width, box.height / info.height);
  const width = info.width * scale;
  const height = info.height * scale;
  const x = PAGE.margin + (box.width - width) / 2;
  const y = PAGE.margin + (box.height - height);
  const hex = info.data.toString('hex').replace(/(.{128})/g, '$1\n');
  return [
    '%!PS-Adobe-3.0',
    `${x.toFixed(2)} ${y.toFixed(2)} translate ${width.toFixed(2)} ${height.toFixed(2)} scale`,
    `${info.colorSpace} setcolorspace`,
    `<< /ImageType 1 /Width ${info.width} /Height ${info.height} /BitsPerComponent 8`,
    `   /Decode ${info.decode ?? `[${Array(info.colors).fill('0 1').join(' ')}]`}`,
    `   /ImageMatrix [${info.width} 0 0 -${info.height} 0 ${info.height}]`,
    `   /DataSource currentfile /ASCIIHexDecode filter ${info.filter} >> image`,
    `${hex}>`,
    'showpage',
    '',
  ].join('\n');
}

/** JPEG: dimensions and components from the first SOFn marker (ITU-T T.81 §B.2.2). */
function jpegInfo(data: Buffer): ImageInfo | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let offset = 2;
  while (offset + 9 < data.length) {
    if (data[offset] !== 0xff) return null;
    const marker = data[offset + 1];
    const length = data.readUInt16BE(offset + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const height = data.readUInt16BE(offset + 5);
      const width = data.readUInt16BE(offset + 7);
      const colors = data[offset + 9];
      const colorSpace = colors === 1 ? '/DeviceGray' : colors === 3 ? '/DeviceRGB' : colors === 4 ? '/DeviceCMYK' : null;
      if (!colorSpace || width === 0 || height === 0) return null;
      // Adobe CMYK JPEGs are stored inverted (the APP14 convention most writers follow).
      return { width, height, colors, colorSpace, filter: '/DCTDecode filter', data, decode: colors === 4 ? '[1 0 1 0 1 0 1 0]' : undefined };
    }
    offset += 2 + length;
  }
  return null;
}

/** PNG (ISO/IEC 15948): 8-bit greyscale or truecolour, non-interlaced; IDAT joined. */
function pngInfo(data: Buffer): ImageInfo | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 33 || !data.subarray(0, 8).equals(signature)) return null;
  let offset = 8;
  let header: { width: number; height: number; depth: number; colorType: number; interlace: number } | null = null;
  const idat: Buffer[] = [];
  while (offset + 8 <= data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.subarray(offset + 4, offset + 8).toString('latin1');
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], colorType: body[9], interlace: body[12] };
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  if (!header || header.depth !== 8 || header.interlace !== 0 || idat.length === 0) return null;
  const colors = header.colorType === 0 ? 1 : header.colorType === 2 ? 3 : 0;
  if (colors === 0) return null;
  const stream = Buffer.concat(idat);
  // A corrupt stream would make Ghostscript fail the whole fax: check it inflates first.
  try {
    inflateSync(stream);
  } catch {
    return null;
  }
  return {
    width: header.width,
    height: header.height,
    colors,
    colorSpace: colors === 1 ? '/DeviceGray' : '/DeviceRGB',
    filter: `<< /Predictor 15 /Colors ${colors} /BitsPerComponent 8 /Columns ${header.width} >> /FlateDecode filter`,
    data: stream,
  };
}
