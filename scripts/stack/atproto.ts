// PLC + PDS from @atproto/dev-env (TestNetworkNoAppView), in this process, with demo accounts.
import fs from 'node:fs';
import path from 'node:path';
import { setProfile } from './demo-profiles.js';
import { pdsListener } from './pds-listener.js';
import { STACK_DIR } from './config.js';

export interface DemoAccount {
  handle: string;
  did: string;
  password: string;
  email: string;
  /** The display name in their profile (they also have an avatar). */
  displayName: string;
}

/** Fixed demo accounts; the passwords are for this local stack only. */
const DEMO = [
  { handle: 'alice.test', email: 'alice@example.com', password: 'alice-password', displayName: 'Alice Liddell', color: [219, 39, 119] },
  { handle: 'bob.test', email: 'bob@example.com', password: 'bob-password', displayName: 'Bob Builder', color: [37, 99, 235] },
] as const;

export interface Atproto {
  /** PLC directory URL, e.g. http://localhost:2582 (dev-env names its services `localhost`). */
  plcUrl: string;
  /** PDS URL (its public URL and OAuth issuer), e.g. http://localhost:2583. */
  pdsUrl: string;
  accounts: DemoAccount[];
  /** Closes the PDS's HTTP listener and every open connection; its data and keys stay. */
  stopPds(): Promise<void>;
  /** Listens again on the same port: the same PDS, accounts and OAuth sessions. */
  startPds(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAtproto(ports: { PLC: number; PDS: number }): Promise<Atproto> {
  // Imported here: dev-env is heavy, and importing the stack module should stay cheap.
  const { TestNetworkNoAppView } = await import('@atproto/dev-env');
  // PLC keeps its data in memory, so the PDS must start empty as well.
  const dataDir = path.join(STACK_DIR, 'pds');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true });
  const network = await TestNetworkNoAppView.create({
    plc: { port: ports.PLC },
    pds: {
      port: ports.PDS,
      dataDirectory: dataDir,
      blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    },
  });
  const listener = pdsListener(network.pds.server.server);
  const stop = async () => {
    // dev-env's close() closes the listener itself: it must be listening again first.
    await listener.start();
    await network.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const agent = network.pds.getAgent();
    const accounts: DemoAccount[] = [];
    for (const { color, ...demo } of DEMO) {
      const { data } = await agent.com.atproto.server.createAccount({ handle: demo.handle, email: demo.email, password: demo.password });
      // A face: the display name and avatar the app shows (read by the API server, not the browser).
      await setProfile(network.pds.url, demo, { displayName: demo.displayName, color });
      accounts.push({ ...demo, did: data.did });
    }
    // The browser resolves handles through the PDS (handleResolver = PDS URL): check it does.
    for (const account of accounts) {
      const url = `${network.pds.url}/xrpc/com.atproto.identity.resolveHandle?handle=${account.handle}`;
      const res = await fetch(url);
      const body = (await res.json()) as { did?: string };
      if (body.did !== account.did) {
        throw new Error(`PDS resolves ${account.handle} to ${body.did ?? `HTTP ${res.status}`}, expected ${account.did}`);
      }
    }
    return { plcUrl: network.plc.url, pdsUrl: network.pds.url, accounts, stopPds: listener.stop, startPds: listener.start, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`PLC/PDS (dev-env) started but creating the demo accounts failed: ${err instanceof Error ? err.message : err}`);
  }
}
