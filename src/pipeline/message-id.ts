/**
 * Message ids: the one id every accepted message carries through logs, the 250 reply, the
 * Received header and (later) the audit trail.
 *
 * Shape: 10 characters of millisecond time then 8 random characters, all in Crockford's base32
 * alphabet (digits before letters, so plain string order is time order). 18 characters, about
 * 2^40 random values per millisecond: short enough to read out, unique in practice, sortable.
 * Within one process a millisecond that repeats gets a random part greater than the previous
 * one, so ids made here also sort in the order they were made.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 8;
const RANDOM_LIMIT = 32 ** RANDOM_CHARS;

let lastTime = -1;
let lastRandom = 0;

function encode(value: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    text = ALPHABET[value % 32] + text;
    value = Math.floor(value / 32);
  }
  return text;
}

export function newMessageId(now = Date.now()): string {
  let random = randomBytes(5).readUIntBE(0, 5);
  if (now <= lastTime) {
    now = lastTime;
    random = lastRandom + 1 + (random % 1024);
    if (random >= RANDOM_LIMIT) {
      now = lastTime + 1;
      random %= 1024;
    }
  }
  lastTime = now;
  lastRandom = random;
  return encode(now, TIME_CHARS) + encode(random, RANDOM_CHARS);
}

export const MESSAGE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{18}$/;
