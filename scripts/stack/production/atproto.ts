// The rehearsal's PLC and PDS (dev-env's TestPlc and TestPds, in this process), shaped like
// a real person's PDS: not in dev mode, public URL https://pds.<domain> (its OAuth issuer),
// handles under .<domain> answered at https://<handle>/.well-known/atproto-did. The one
// allowance: its SSRF guard is off (it must fetch the app's client metadata from a name
// that resolves to loopback, which that guard can never pass). dev-env passes
// `devMode: true` and spreads our config after it, so `devMode: false` wins.
import fs from 'node:fs';
import path from 'node:path';
import type { DemoAccount } from '../atproto.js';
import { setProfile } from '../demo-profiles.js';
import { pdsListener } from '../pds-listener.js';
import { HANDLE_DOMAIN, HOSTS, httpsUrl, type ProductionPorts } from './names.js';

const DEMO = [
  { name: 'alice', password: 'alice-password', displayName: 'Alice Liddell', color: [219, 39, 119] },
  { name: 'bob', password: 'bob-password', displayName: 'Bob Builder', color: [37, 99, 235] },
] as const;

export interface ProductionAtproto {
  accounts: DemoAccount[];
  stopPds(): Promise<void>;
  startPds(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProductionAtproto(ports: ProductionPorts, dataDir: string): Promise<ProductionAtproto> {
  const { TestPlc, TestPds } = await import('@atproto/dev-env');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true });
  const plc = await TestPlc.create({ port: ports.PLC });
  let pds: Awaited<ReturnType<typeof TestPds.create>> | undefined;
  let listener: ReturnType<typeof pdsListener> | undefined;
  const stop = async () => {
    await listener?.start();
    await pds?.close();
    await plc.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    pds = await TestPds.create({
      port: ports.PDS,
      hostname: HOSTS.pds,
      devMode: false,
      disableSsrfProtection: true,
      // The PDS is not the product here: it reaches the PLC on loopback directly.
      didPlcUrl: plc.url,
      serviceHandleDomains: [HANDLE_DOMAIN],
      dataDirectory: dataDir,
      blobstoreDiskLocation: path.join(dataDir, 'blobs'),
      serviceName: 'Rehearsal PDS',
    });
    listener = pdsListener(pds.server.server);
    if (pds.ctx.cfg.service.publicUrl !== httpsUrl(HOSTS.pds)) {
      throw new Error(`the PDS calls itself ${pds.ctx.cfg.service.publicUrl}, expected ${httpsUrl(HOSTS.pds)}`);
    }
    const agent = pds.getAgent();
    const accounts: DemoAccount[] = [];
    for (const { name, color, ...demo } of DEMO) {
      const account = { handle: `${name}${HANDLE_DOMAIN}`, email: `${name}@example.com`, password: demo.password, displayName: demo.displayName };
      const { data } = await agent.com.atproto.server.createAccount({ handle: account.handle, email: account.email, password: account.password });
      await setProfile(pds.url, account, { displayName: account.displayName, color });
      accounts.push({ ...account, did: data.did });
    }
    return { accounts, stopPds: listener.stop, startPds: listener.start, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`the rehearsal's PLC/PDS did not start: ${err instanceof Error ? err.message : err}`);
  }
}
