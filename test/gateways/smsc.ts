/**
 * A test SMSC: the smpp library's own server, binding one ESME (system_id "bridgehead",
 * password "secret"), answering submit_sm with ids smsc-1, smsc-2, ... and sending a delivery
 * receipt (SMPP 3.4 Appendix B text) for each, in the state the test chooses.
 */
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import smpp, { type PDU, type Session } from 'smpp';
import { eventually } from './harness.js';

export interface Smsc {
  port: number;
  submits: PDU[];
  binds: PDU[];
  /** The bound ESME session, once there is one. */
  session(): Promise<Session>;
  /** Answer submit_sm with a receipt in this state (null: no receipt). */
  receiptState: string | null;
}

export async function startSmsc(t: Test): Promise<Smsc> {
  const submits: PDU[] = [];
  const binds: PDU[] = [];
  let bound: Session | null = null;
  const state: Smsc = {
    port: 0,
    submits,
    binds,
    receiptState: 'DELIVRD',
    session: () => eventually(async () => bound ?? undefined, 'the ESME to bind'),
  };
  const server = smpp.createServer((session) => {
    session.on('error', () => undefined);
    session.on('bind_transceiver', (pdu: PDU) => {
      binds.push(pdu);
      const ok = pdu.system_id === 'bridgehead' && pdu.password === 'secret';
      session.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RBINDFAIL }));
      if (ok) bound = session;
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: PDU) => {
      submits.push(pdu);
      const id = `smsc-${submits.length}`;
      session.send(pdu.response({ message_id: id }));
      if (state.receiptState === null) return;
      session.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: 0x04,
        short_message: `id:${id} sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:${state.receiptState} err:000 text:`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const session of [...server.sessions]) session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

