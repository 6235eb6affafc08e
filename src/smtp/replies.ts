/**
 * The one place where pipeline verdicts become smtp-server replies.
 *
 * smtp-server answers a handler error with `err.responseCode` and `err.message`, and when
 * ENHANCEDSTATUSCODES is on it picks the enhanced code itself from the basic code alone (550 is
 * always 5.1.1, 553 always 5.1.3, ...), which would lose the code the pipeline chose (550 5.7.1
 * relay denied, 553 5.7.1 sender not owned, 554 5.4.6 loop). So a reply error carries its own
 * enhanced code at the front of its text, and our connection class sends such text without a
 * second, library-chosen code. Everything else the library says keeps the library's codes.
 * RFC 2034 §3: with ENHANCEDSTATUSCODES every reply other than the greeting and EHLO carries one.
 *
 * Plugin verdicts (src/plugins/verdicts.ts) arrive here as SmtpErrors like any other pipeline
 * refusal: reject → its own code, tempfail → 451 4.3.0, disconnect → 421 4.7.0 (and smtp-server
 * closes the connection after any 421). smtp-server has no HELO callback, so the connection class
 * below asks `heloCheck` before the library answers HELO/EHLO.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServerSession } from 'smtp-server';
import { Smtp, SmtpError } from '../errors.js';

/** An error in the shape smtp-server reads: responseCode plus text led by the enhanced code. */
export interface ReplyError extends Error {
  responseCode: number;
}

const LEADING_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

/** SmtpError → the error handed to an smtp-server callback; anything else is a 451 4.3.0. */
export function toReplyError(error: unknown): ReplyError {
  const reply = error instanceof SmtpError ? error : Smtp.tempFailure();
  const replyError = new Error(`${reply.enhanced} ${reply.message}`) as ReplyError;
  replyError.responseCode = reply.code;
  return replyError;
}

/** "550 5.7.1" for logs, from what toReplyError would send. */
export function replySummary(error: unknown): string {
  const reply = error instanceof SmtpError ? error : Smtp.tempFailure();
  return `${reply.code} ${reply.enhanced}`;
}

/** A connection that sends a reply whose text already leads with an enhanced code as it is. */
class EnhancedReplyConnection extends SMTPConnection {
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && LEADING_ENHANCED_CODE.test(data)) {
      super.send(code, data, false);
      return;
    }
    super.send(code, data, context);
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.checkHelo(command, callback, () => super.handler_EHLO(command, callback));
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    this.checkHelo(command, callback, () => super.handler_HELO(command, callback));
  }

  /** Runs the server's heloCheck on a well-formed HELO/EHLO; the library answers the rest. */
  private checkHelo(command: Buffer, callback: () => void, next: () => void): void {
    const check = (this._server as BridgeheadSmtpServer).heloCheck;
    const parts = command.toString().trim().split(/\s+/);
    if (!check || parts.length !== 2) return next();
    check(this.session, parts[1].toLowerCase()).then(
      (refusal) => {
        if (!refusal) return next();
        const reply = toReplyError(refusal);
        this.send(reply.responseCode, reply.message);
        callback();
      },
      (error: unknown) => {
        const reply = toReplyError(error);
        this.send(reply.responseCode, reply.message);
        callback();
      },
    );
  }
}

/** Decides on a HELO/EHLO name: null lets the library answer 250, an error is the refusal. */
export type HeloCheck = (session: SMTPServerSession, heloName: string) => Promise<Error | null>;

/** SMTPServer whose connections are EnhancedReplyConnection; otherwise the library's connect(). */
export class BridgeheadSmtpServer extends SMTPServer {
  /** Set by the listener when plugins have a helo hook. */
  heloCheck: HeloCheck | null = null;

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: ConstructorParameters<typeof SMTPConnection>[2]): void {
    const connection = new EnhancedReplyConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (error: Error) => this._onError(error));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }
}
