/**
 * Mail authentication, the module's public face: inbound verification on MX (verify.ts), outbound
 * DKIM signing (sign.ts) with keys kept under <dataDir>/dkim (keys.ts), quarantine to Junk
 * (quarantine.ts). app.ts builds both from the config through the functions here.
 */
import type { Config } from '../config/schema.js';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../log.js';
import { createDkimSigner, type DkimSigner } from './sign.js';
import { InboundVerifier } from './verify.js';

export { createDkimSigner, type DkimSigner, type DkimSignerOptions } from './sign.js';
export { DkimKeyStore, dnsRecord, type DkimAlgorithm, type DkimKey, type DkimDnsRecord } from './keys.js';
export { InboundVerifier, decide, type InboundVerdict, type MailauthPolicy } from './verify.js';

/** The MX verifier config.mailauth asks for, or null when verification is disabled. */
export function inboundVerifierFromConfig(config: Config, resolver: Resolver, log: Logger): InboundVerifier | null {
  if (!config.mailauth.enabled) return null;
  return new InboundVerifier({
    hostname: config.hostname,
    resolver,
    trustedNetworks: config.mailauth.trustedNetworks,
    policy: {
      dmarcReject: config.mailauth.dmarc.reject,
      dmarcQuarantine: config.mailauth.dmarc.quarantine,
      spfFail: config.mailauth.spf.fail,
      spfSoftfail: config.mailauth.spf.softfail,
    },
    log,
  });
}

/** The outbound signer for the queue: signs with <dataDir>/dkim keys of the From domain. */
export function dkimSignerFromConfig(config: Config, log: Logger): DkimSigner {
  return createDkimSigner({ dataDir: config.dataDir, log });
}
