/**
 * The DEFLATE layer of COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951, no zlib or gzip
 * header) in both directions between the connection and its socket (or its TLS socket: TLS
 * first, then COMPRESS, RFC 4978 §3).
 *
 * Invariants:
 * - Every burst of responses is followed by a Z_SYNC_FLUSH (RFC 4978 §4): what was written
 *   during one turn of the event loop reaches the client whole, so a client waiting for a tagged
 *   reply never stalls on data stuck in the compressor. Writes within one turn share one flush.
 * - Output backpressure is measured on the uncompressed side: `pending` counts what the
 *   compressor still holds plus what the socket has not sent, so the connection's output bound
 *   works as without compression.
 * - Input is bounded: inflated data flows to the connection only while it is not paused, and
 *   pausing also pauses the socket, so a small compressed burst (a "zip bomb") cannot make the
 *   server hold more than the streams' buffers plus the parser's own limits.
 * - end() finishes the deflate stream and then ends the socket, so the last responses (BYE,
 *   LOGOUT's OK) are flushed before the connection closes.
 */
import type { Socket } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

export interface DeflateLayerOptions {
  /** Receives inflated client octets, in order. */
  onInput(chunk: Buffer): void;
  /** A stream error (corrupt compressed input): the connection should be dropped. */
  onError(error: Error): void;
}

export class DeflateLayer {
  private readonly socket: Socket;
  private readonly deflate: DeflateRaw;
  private readonly inflate: InflateRaw;
  private flushScheduled = false;
  private ended = false;

  constructor(socket: Socket, options: DeflateLayerOptions) {
    this.socket = socket;
    // Level 6 is zlib's default trade-off; replies are mostly text and compress well at it.
    this.deflate = createDeflateRaw({ level: 6 });
    this.inflate = createInflateRaw();
    this.deflate.pipe(socket);
    this.inflate.on('data', (chunk: Buffer) => options.onInput(chunk));
    this.deflate.on('error', (error) => options.onError(error));
    this.inflate.on('error', (error) => options.onError(error));
  }

  /** Compressed octets received from the client. */
  input(chunk: Buffer): void {
    if (!this.ended) this.inflate.write(chunk);
  }

  /** Response octets to compress; flushed at the end of the current event-loop turn. */
  write(data: Buffer): void {
    if (this.ended) return;
    this.deflate.write(data);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.ended) this.deflate.flush(constants.Z_SYNC_FLUSH);
    });
  }

  /** Octets written but not yet handed to the kernel (uncompressed in the compressor, compressed in the socket). */
  get pending(): number {
    return this.deflate.writableLength + this.deflate.readableLength + this.socket.writableLength;
  }

  /** Resolves once the stream holding the backlog (the compressor, else the socket) has drained. */
  waitForDrain(): Promise<void> {
    const backlog = this.deflate.writableNeedDrain ? this.deflate : this.socket.writableNeedDrain ? this.socket : null;
    if (!backlog) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => backlog.once('drain', () => resolve()));
  }

  pause(): void {
    this.inflate.pause();
    this.socket.pause();
  }

  resume(): void {
    this.inflate.resume();
    this.socket.resume();
  }

  /** Finishes the deflate stream (flushing it) and then ends the socket. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.deflate.end();
    // Not end(): the client's stream is unfinished, and inflating its end would be an error.
    this.inflate.destroy();
  }

  destroy(): void {
    this.ended = true;
    this.deflate.destroy();
    this.inflate.destroy();
  }
}
