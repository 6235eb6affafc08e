/**
 * Unified messaging, wired: starts the plugins' gateways with a number-aware pipeline (a gateway
 * may name a user by phone or fax number, inbound.ts), the notifier for users' notification
 * rules (notify.ts) and, when enabled, the gateway protocol listener for out-of-process gateways
 * (listener.ts). The composition root (app.ts) calls `startGatewayServices` once the pipeline
 * exists and closes what it returns before the store.
 */
import type { GatewaysConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { GatewayAuditSink, InboundPipeline } from '../plugins/gateways.js';
import type { PluginHost } from '../plugins/host.js';
import type { Store } from '../store/types.js';
import { deliverFromPeer, numberAwarePipeline } from './inbound.js';
import { GatewayListener } from './listener.js';
import { Notifier } from './notify.js';

export interface GatewayServicesOptions {
  config: GatewaysConfig;
  hostname: string;
  store: Store;
  pipeline: InboundPipeline;
  plugins: PluginHost;
  audit: GatewayAuditSink;
  log: Logger;
}

export interface GatewayServices {
  /** The protocol listener's address, when it runs. */
  listener: { host: string; port: number } | null;
  /** A line per gateway for the start-up announcement: ready, or disabled and why. */
  summary(): string[];
  close(): Promise<void>;
}

export async function startGatewayServices(options: GatewayServicesOptions): Promise<GatewayServices> {
  const { plugins, store, log } = options;
  const pipeline = numberAwarePipeline(options.pipeline, store);
  // Gateways remember what must survive a restart (receipt references, ...) in the store.
  await plugins.gateways.start({ pipeline, hostname: options.hostname, audit: options.audit, state: store.gatewayState });
  const notifier = new Notifier({ store, hub: plugins.gateways, hostname: options.hostname, log });
  notifier.start();

  let listener: GatewayListener | null = null;
  let bound: GatewayServices['listener'] = null;
  if (options.config.listener.enabled) {
    listener = new GatewayListener({
      config: options.config,
      log: log.child({ proto: 'gateway' }),
      // Nonces seen within the time window outlive a restart, so a replay is still refused.
      nonces: store.gatewayState,
      handlers: {
        deliverInbound: (via, message) => deliverFromPeer(pipeline, via, message, { hostname: options.hostname }),
        ack: async (ack) => {
          await options.audit(ack);
          await plugins.gatewayAck(ack);
        },
      },
    });
    bound = { host: options.config.listener.host, port: await listener.listen() };
  }
  return {
    listener: bound,
    summary: () => plugins.gateways.states().map((state) =>
      state.available ? `  gateway ${state.name.padEnd(10)} ready` : `  gateway ${state.name.padEnd(10)} DISABLED: ${state.reason}`),
    async close() {
      await listener?.close();
      await notifier.close();
      await plugins.gateways.stop();
    },
  };
}
