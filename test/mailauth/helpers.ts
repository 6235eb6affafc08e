/**
 * Test support for mail authentication: a DnsConfig builder, and a real DNS server on loopback
 * UDP (RFC 1035 §4.1) that answers A and TXT from a zone, NXDOMAIN for unknown names, and can
 * stay silent to produce real timeouts. It counts the queries it receives.
 */
import dgram from 'node:dgram';
import type { Test } from 'tap';
import type { DnsConfig } from '../../src/config/schema.js';

export function dnsConfig(overrides: Partial<DnsConfig> = {}): DnsConfig {
  return { servers: [], timeoutMs: 1000, tries: 1, cacheSeconds: 0, static: {}, staticOnly: true, ...overrides };
}

export interface Zone {
  [name: string]: { A?: string[]; TXT?: string[] };
}

export interface DnsServer {
  address: string;
  queries: Array<{ name: string; type: number }>;
}

const TYPE_A = 1;
const TYPE_TXT = 16;

export async function startDnsServer(t: Test, zone: Zone, options: { silent?: boolean } = {}): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: DnsServer['queries'] = [];
  socket.on('message', (query, peer) => {
    const question = parseQuestion(query);
    if (!question) return;
    queries.push({ name: question.name, type: question.type });
    if (options.silent) return;
    socket.send(answer(query, question, zone), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { address: `127.0.0.1:${socket.address().port}`, queries };
}

interface Question {
  name: string;
  type: number;
  /** Offset just past QTYPE and QCLASS. */
  end: number;
}

function parseQuestion(message: Buffer): Question | null {
  if (message.length < 12) return null;
  const labels: string[] = [];
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) {
    const length = message[offset];
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  if (offset + 5 > message.length) return null;
  return { name: labels.join('.').toLowerCase(), type: message.readUInt16BE(offset + 1), end: offset + 5 };
}

function answer(query: Buffer, question: Question, zone: Zone): Buffer {
  const records = zone[question.name];
  const rdatas: Buffer[] = [];
  if (records && question.type === TYPE_A) {
    for (const ip of records.A ?? []) rdatas.push(Buffer.from(ip.split('.').map(Number)));
  }
  if (records && question.type === TYPE_TXT) {
    for (const text of records.TXT ?? []) {
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < text.length; offset += 255) {
        const part = Buffer.from(text.slice(offset, offset + 255), 'ascii');
        chunks.push(Buffer.from([part.length]), part);
      }
      rdatas.push(Buffer.concat(chunks));
    }
  }
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // QR, opcode 0, RD copied, RA; RCODE 3 (NXDOMAIN) for unknown names.
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100) | (records ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdatas.length, 6);
  const answers = rdatas.map((rdata) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(question.type, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(300, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([fixed, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}
