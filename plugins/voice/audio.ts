/**
 * Text → telephone audio: espeak-ng speaks the text into a WAV file (22 050 Hz mono 16-bit),
 * which is resampled here to 8 kHz mono 16-bit PCM, the format Asterisk plays on a telephone
 * channel without transcoding (slin, G.711 after companding).
 *
 * WAV is RIFF (Microsoft Multimedia Programming Interface and Data Specifications 1.0): chunks
 * "fmt " (format 1 = PCM, channels, sample rate, byte rate, block align, bits) and "data".
 * Resampling is band-limited: a windowed-sinc low-pass (Blackman window) at 0.45 × the target
 * rate, evaluated at each output instant, so nothing above the telephone band folds back.
 *
 * Invariants: espeak-ng runs without a shell, reads the text on stdin (no argument length limit,
 * no option injection), within a time limit; its temporary file is removed whatever happens.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pcm {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples. */
  samples: Int16Array;
}

export const TELEPHONE_RATE = 8000;

/** Reads a PCM WAV; throws for anything else. */
export function parseWav(wav: Buffer): Pcm {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF WAVE file');
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; code: number } | null = null;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('latin1', offset, offset + 4);
    let size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = { code: wav.readUInt16LE(body), channels: wav.readUInt16LE(body + 2), sampleRate: wav.readUInt32LE(body + 4), bits: wav.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!format || format.code !== 1 || format.bits !== 16) throw new Error('only 16-bit PCM WAV is supported');
      // espeak-ng writing to a pipe leaves the size at 0xFFFFFFFF: the data runs to the end.
      if (size === 0 || body + size > wav.length) size = wav.length - body;
      const samples = new Int16Array(Math.floor(size / 2));
      for (let index = 0; index < samples.length; index++) samples[index] = wav.readInt16LE(body + index * 2);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV file without a data chunk');
}

/** A canonical 44-byte-header PCM WAV. */
export function writeWav(pcm: Pcm): Buffer {
  const dataBytes = pcm.samples.length * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(pcm.channels, 22);
  header.writeUInt32LE(pcm.sampleRate, 24);
  header.writeUInt32LE(pcm.sampleRate * pcm.channels * 2, 28);
  header.writeUInt16LE(pcm.channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  const data = Buffer.alloc(dataBytes);
  pcm.samples.forEach((sample, index) => data.writeInt16LE(sample, index * 2));
  return Buffer.concat([header, data]);
}

/** Mixes to mono and resamples to `rate` with a windowed-sinc low-pass. */
export function toMono(pcm: Pcm, rate: number): Pcm {
  const frames = Math.floor(pcm.samples.length / pcm.channels);
  const mono = new Float64Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < pcm.channels; channel++) sum += pcm.samples[frame * pcm.channels + channel];
    mono[frame] = sum / pcm.channels;
  }
  if (pcm.sampleRate === rate) return { sampleRate: rate, channels: 1, samples: Int16Array.from(mono, clip) };
  const ratio = pcm.sampleRate / rate;
  const cutoff = (0.45 * Math.min(rate, pcm.sampleRate)) / pcm.sampleRate;
  const halfWidth = 16 * Math.ceil(Math.max(1, ratio));
  const out = new Int16Array(Math.floor(frames / ratio));
  for (let index = 0; index < out.length; index++) {
    const center = index * ratio;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const last = Math.min(frames - 1, Math.floor(center + halfWidth));
    let sum = 0;
    let weights = 0;
    for (let source = first; source <= last; source++) {
      const distance = source - center;
      const window = 0.42 + 0.5 * Math.cos((Math.PI * distance) / halfWidth) + 0.08 * Math.cos((2 * Math.PI * distance) / halfWidth);
      const sinc = distance === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * distance) / (Math.PI * distance);
      const weight = sinc * window;
      sum += mono[source] * weight;
      weights += weight;
    }
    out[index] = clip(weights === 0 ? 0 : sum / weights);
  }
  return { sampleRate: rate, channels: 1, samples: out };
}

function clip(value: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(value)));
}

export interface SpeakOptions {
  /** espeak-ng executable. */
  espeak: string;
  /** espeak-ng voice, e.g. "en-us", "de". */
  voice: string;
  /** Words per minute. */
  speed: number;
  timeoutMs: number;
  tempDir?: string;
}

/** Speaks `text` and returns an 8 kHz mono 16-bit WAV. */
export async function speak(text: string, options: SpeakOptions): Promise<Buffer> {
  const work = await mkdtemp(join(options.tempDir ?? tmpdir(), 'bh-voice-'));
  try {
    const file = join(work, 'speech.wav');
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        options.espeak,
        ['-v', options.voice, '-s', String(options.speed), '-w', file, '--stdin'],
        { timeout: options.timeoutMs, maxBuffer: 1024 * 1024 },
        (error, _stdout, stderr) => {
          if (error) reject(new Error(`${options.espeak} failed: ${String(stderr).trim() || error.message}`));
          else resolve();
        },
      );
      child.stdin?.end(text, 'utf8');
    });
    return writeWav(toMono(parseWav(await readFile(file)), TELEPHONE_RATE));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
