/**
 * The gateways' durable memory (level/gateway-state.ts): values survive a reopen of the store,
 * an expired value is never returned, spaces do not see each other, `list` is in expiry order,
 * and `expire` removes exactly what expired (a value re-put with a later expiry stays).
 */
import t from 'tap';
import { openStore } from '../../src/store/index.js';
import { openTempStore } from './helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

t.test('put, get, delete and list, per space', async (t) => {
  const { store } = await openTempStore(t);
  const state = store.gatewayState;
  await state.put('gateway/sms', 'receipt:smsc-1', { messageId: 'M1', recipient: '+4917612345678' }, NOW + 60_000);
  await state.put('gateway/sms', 'receipt:smsc-2', { messageId: 'M2', recipient: '+4917612345679' }, NOW + 30_000);
  await state.put('gateway/fax', 'receipt:smsc-1', 'other space', NOW + 60_000);
  t.same(await state.get('gateway/sms', 'receipt:smsc-1', NOW), { messageId: 'M1', recipient: '+4917612345678' });
  t.equal(await state.get('gateway/fax', 'receipt:smsc-1', NOW), 'other space', 'spaces are separate');
  t.equal(await state.get('gateway/sms', 'receipt:smsc-1', NOW + 60_000), undefined, 'expired at its expiry time');
  t.equal(await state.get('gateway/sms', 'nothing', NOW), undefined);
  t.same((await state.list('gateway/sms', NOW)).map((entry) => entry.key), ['receipt:smsc-2', 'receipt:smsc-1'], 'in expiry order');
  t.same((await state.list('gateway/sms', NOW + 45_000)).map((entry) => entry.key), ['receipt:smsc-1'], 'without the expired');
  await state.delete('gateway/sms', 'receipt:smsc-2');
  t.equal(await state.get('gateway/sms', 'receipt:smsc-2', NOW), undefined);
  await t.rejects(state.put('gateway/sms', 'a\u0000b', 1, NOW), TypeError, 'keys may not hold NUL');
});

t.test('expire removes what expired, keeps what was renewed, and values survive a reopen', async (t) => {
  const path = t.testdir();
  const first = await openStore({ path });
  await first.gatewayState.put('s', 'short', 1, NOW + 1000);
  await first.gatewayState.put('s', 'renewed', 2, NOW + 1000);
  await first.gatewayState.put('s', 'renewed', 3, NOW + 100_000);
  await first.gatewayState.put('s', 'long', 4, NOW + 200_000);
  t.equal(await first.gatewayState.expire(NOW + 5000), 1, 'only the short entry');
  await first.close();

  const second = await openStore({ path });
  t.teardown(() => second.close());
  t.same(await second.gatewayState.list('s', NOW + 5000), [
    { key: 'renewed', value: 3, expiresAt: NOW + 100_000 },
    { key: 'long', value: 4, expiresAt: NOW + 200_000 },
  ]);
  t.equal(await second.gatewayState.expire(NOW + 200_000), 2);
  t.same(await second.gatewayState.list('s', 0), [], 'expired entries are gone from disk');
  t.equal(await second.gatewayState.expire(NOW + 200_000), 0, 'nothing left to expire');
});
