/**
 * Medium → mail: builds the RFC 5322 message for an SMS, fax or voicemail that a gateway hands
 * in (api.ts InboundMessage), with nodemailer's MIME composer: UTF-8 text, attachments base64,
 * RFC 2047 encoded words where needed, a Message-ID at this server's host name.
 *
 * Invariants: header values a gateway supplies are single-line (line breaks are removed, so a
 * caller id cannot inject header fields); extra headers must be "X-" fields.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { InboundMessage } from '../plugins/api.js';

const X_FIELD = /^X-[A-Za-z0-9-]{1,64}$/;

export async function composeInboundMail(message: InboundMessage, options: { to: string[]; hostname: string }): Promise<Buffer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!X_FIELD.test(name)) throw new Error(`extra header ${name} refused: only X- fields may be added`);
    headers[name] = singleLine(value);
  }
  const composer = new MailComposer({
    from: message.from,
    to: options.to,
    subject: singleLine(message.subject ?? ''),
    text: message.text ?? '',
    date: message.date ?? new Date(),
    messageId: `<${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}@${options.hostname}>`,
    headers,
    attachments: (message.attachments ?? []).map((attachment) => ({
      filename: singleLine(attachment.filename),
      contentType: attachment.contentType,
      content: attachment.content,
    })),
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, raw) => (error ? reject(error) : resolve(raw)));
  });
}

function singleLine(value: string): string {
  return String(value).replace(/[\r\n]+/g, ' ').trim();
}
