/**
 * The fax gateway with the real Ghostscript: a mail with text, a PNG and a PDF becomes a G3 TIFF
 * (204×196 dpi) in the outbound spool; spool status → acks; a received TIFF fax → a mail with the
 * fax as PDF for the owner of the fax number; a missing Ghostscript disables only the gateway.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { SmtpError } from '../../src/errors.js';
import { eventually, inboxMessages, loadBuiltin, sendThrough, startHarness, users } from './harness.js';
import { readTiff } from './tiff.js';

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** An 8-bit RGB PNG with a gradient (ISO/IEC 15948). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([head, typed, crc]);
  };
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 255) / width, (y * 255) / height, 128], 1 + x * 3);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function pdf(dir: string): Buffer {
  const source = join(dir, 'page.ps');
  writeFileSync(source, '%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (Attached PDF page) show showpage\n');
  const output = join(dir, 'page.pdf');
  execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', `-sOutputFile=${output}`, source]);
  return readFileSync(output);
}

function multipart(parts: Array<{ type: string; name: string; content: Buffer }>): Buffer {
  const boundary = 'b0undary';
  const lines = [
    'From: alice@example.org', 'To: +4930555000111@fax.example.org', 'Subject: Contract (signed)', 'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', 'Dear Sir or Madam,', '', 'please find the signed contract attached. Grüße, Alice', '',
  ];
  for (const part of parts) {
    lines.push(`--${boundary}`, `Content-Type: ${part.type}; name="${part.name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${part.name}"`, '',
      part.content.toString('base64').replace(/(.{76})/g, '$1\r\n'), '');
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'));
}

async function setup(t: Test, overrides: Record<string, unknown> = {}) {
  const dir = t.testdir();
  const spool = { outDir: join(dir, 'out'), statusDir: join(dir, 'status'), inDir: join(dir, 'in'), pollMs: 100 };
  const plugin = await loadBuiltin('fax', { domains: ['fax.example.org'], spool, ...overrides });
  const harness = await startHarness(t, plugin);
  return { dir, spool, harness };
}

t.test('a mail with text, a PNG and a PDF becomes a G3 fax TIFF at 204x196 dpi', async (t) => {
  const { dir, spool, harness } = await setup(t);
  const raw = multipart([
    { type: 'image/png', name: 'sketch.png', content: png(120, 80) },
    { type: 'application/pdf', name: 'contract.pdf', content: pdf(dir) },
    { type: 'application/zip', name: 'archive.zip', content: Buffer.from('PK\u0003\u0004') },
  ]);
  await sendThrough(harness, 'fax', { id: 'FAX1', from: users.alice.address, user: users.alice.address, numbers: ['+4930555000111'], raw });

  const description = JSON.parse(readFileSync(join(spool.outDir, 'FAX1-1.json'), 'utf8'));
  t.match(description, { job: 'FAX1-1', messageId: 'FAX1', number: '+4930555000111', sender: users.alice.address });
  const tiff = readFileSync(join(spool.outDir, 'FAX1-1.tif'));
  const pages = readTiff(tiff);
  t.equal(pages.length, 3, 'cover with text, the PNG, the PDF');
  for (const page of pages) {
    t.equal(page.compression, 3, 'CCITT Group 3 (T.4)');
    t.equal(page.xResolution, 204);
    t.equal(page.yResolution, 196);
    t.equal(page.resolutionUnit, 2, 'dots per inch');
    t.equal(page.width, 1728, 'standard fax line width (A4 at 204 dpi)');
  }
  const info = execFileSync('tiffinfo', [join(spool.outDir, 'FAX1-1.tif')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.match(info, /Compression Scheme: CCITT Group 3/, 'tiffinfo agrees');
  t.same(readdirSync(spool.outDir).filter((name) => name.startsWith('.')), [], 'no temporary files left');

  t.equal(harness.acks.length, 1);
  t.match(harness.acks[0], { messageId: 'FAX1', gateway: 'fax', recipient: '+4930555000111', status: 'submitted', reference: 'FAX1-1' });
  t.match(harness.acks[0].detail, /archive\.zip/, 'the attachment that could not be rendered is named');

  writeFileSync(join(spool.statusDir, 'FAX1-1.json'), JSON.stringify({ ...description, status: 'delivered', detail: '3 pages sent' }));
  await harness.waitForAcks(2);
  t.match(harness.acks[1], { messageId: 'FAX1', recipient: '+4930555000111', status: 'delivered', reference: 'FAX1-1', detail: '3 pages sent' });
  await eventually(async () => (existsSync(join(spool.statusDir, 'FAX1-1.json')) ? undefined : true), 'the status file to be consumed');
});

t.test('a received TIFF fax arrives as a PDF attachment for the owner of the fax number', async (t) => {
  const { spool, harness } = await setup(t);
  await sendThrough(harness, 'fax', { id: 'FAX2', from: users.alice.address, user: users.alice.address, numbers: ['+4930555000111'], raw: multipart([]) });
  mkdirSync(spool.inDir, { recursive: true });
  writeFileSync(join(spool.inDir, 'rx1.tif'), readFileSync(join(spool.outDir, 'FAX2-1.tif')));
  writeFileSync(join(spool.inDir, 'rx1.json'), JSON.stringify({ from: '+4930555000111', to: users.alice.fax, receivedAt: '2026-01-05T10:00:00Z' }));
  writeFileSync(join(spool.inDir, 'rx2.pdf'), '%PDF-1.4\n%%EOF\n');
  writeFileSync(join(spool.inDir, 'rx2.json'), JSON.stringify({ from: '+4930555000111', to: '+4930999999999' }));

  const messages = await eventually(async () => {
    const list = await inboxMessages(harness.store, users.alice.address);
    return list.length === 1 ? list : undefined;
  }, 'the fax in alice\'s INBOX');
  const [mail] = messages;
  t.equal(mail.from?.value[0].address, '+4930555000111@fax.example.org');
  t.equal(mail.subject, 'Fax from +4930555000111');
  t.equal(mail.attachments.length, 1);
  t.equal(mail.attachments[0].contentType, 'application/pdf');
  t.equal(mail.attachments[0].content.subarray(0, 5).toString('latin1'), '%PDF-', 'converted to PDF');
  await eventually(async () => (existsSync(join(spool.inDir, 'rejected', 'rx2.json')) ? true : undefined), 'the fax for an unknown number to be set aside');
  t.notOk(existsSync(join(spool.inDir, 'rx1.tif')), 'a delivered fax leaves the spool');
  t.ok(existsSync(join(spool.inDir, 'rejected', 'rx2.pdf')), 'an undeliverable one is kept in rejected/');
  t.ok(harness.acks.some((ack) => ack.status === 'received' && ack.recipient === '+4930555000111'));
});

t.test('without Ghostscript the fax gateway is disabled with the reason; delivery is refused', async (t) => {
  const { harness } = await setup(t, { ghostscript: '/nonexistent/gs' });
  const [state] = harness.states();
  t.match(state, { name: 'fax', available: false });
  t.match(state.reason, /\/nonexistent\/gs \(Debian package ghostscript\)/);
  const error = await sendThrough(harness, 'fax', { id: 'FAX3', from: users.alice.address, user: users.alice.address, numbers: ['+4930555000111'], raw: multipart([]) }).catch((caught: unknown) => caught);
  t.ok(error instanceof SmtpError);
  t.equal((error as SmtpError).code, 550);
  t.match((error as SmtpError).message, /fax gateway is not available/);
});
