// A second PDS on the stack's PLC, served over https with the local CA (tls.ts): the WebKit
// suite's accounts live here. WebKitGTK (libsoup) drops `Secure` cookies set by an
// http://localhost page, and the reference PDS's OAuth pages always set their CSRF cookie
// `Secure`, so on the http PDS the sign-in form fails in WebKit with "Missing CSRF header".
// A real PDS is https; this one is too, so the app's own OAuth flow runs unchanged: its DID
// documents (on the same PLC) name https://127.0.0.2:<port> as the PDS and OAuth issuer.
//
// Why 127.0.0.2: ATProto OAuth refuses an https issuer on `localhost`, 127.0.0.1 or [::1]
// (its rule: loopback is for http development servers only), and names like pds.localhost
// do not resolve on every machine. Any 127.x address is loopback on Linux, and an IP address
// is an acceptable issuer host.
//
// The stack's own PDS stays http, so `npm start` in a desktop browser and the Chromium and
// Firefox projects meet no certificate at all. The price: handles here are not resolvable
// by the app's handle resolver (the first PDS), so a person signs in with their DID, and the
// API server, which checks a handle both ways through that resolver, names them
// `handle.invalid` (as Bluesky does for a handle that does not point back).
//
// dev-env's PDS serves http only and derives its public URL from `hostname`: `localhost`
// means http://localhost:<port>, anything else https://<hostname>. So the PDS gets the
// hostname `127.0.0.2:<front port>` and listens on an inner port; an https front with the
// local certificate forwards to it, keeping the Host header (the PDS checks origins).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { STACK_DIR } from './config.js';
import { localCertificate } from './tls.js';
import type { DemoAccount } from './atproto.js';

const HOST = '127.0.0.2';

export interface TlsPds {
  /** https://127.0.0.2:<port>: the PDS's public URL and OAuth issuer. */
  url: string;
  /** The CA that signed the PDS's certificate (PEM) and its file. */
  ca: string;
  caFile: string;
  accounts: DemoAccount[];
  stop(): Promise<void>;
}

/** Starts the https PDS on `plcUrl` with `accounts` (handles must end in `.test`). */
export async function startTlsPds(plcUrl: string, accounts: Omit<DemoAccount, 'did' | 'displayName'>[]): Promise<TlsPds> {
  const { TestPds } = await import('@atproto/dev-env');
  const front = https.createServer();
  front.listen(0, HOST);
  await once(front, 'listening');
  const { port } = front.address() as AddressInfo;
  const dir = path.join(STACK_DIR, `pds-tls-${port}`);
  const certificate = localCertificate(path.join(dir, 'tls'), [HOST]);
  front.setSecureContext({ cert: certificate.cert, key: certificate.key });
  const sockets = new Set<Socket>();
  front.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeFront = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      front.close(() => resolve());
    });

  let pds: Awaited<ReturnType<typeof TestPds.create>> | undefined;
  const stop = async () => {
    await closeFront();
    await pds?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    pds = await TestPds.create({
      hostname: `${HOST}:${port}`,
      // did:web puts a port after an encoded colon; the derived did:web:<host>:<port> is invalid.
      serviceDid: `did:web:${HOST}%3A${port}`,
      didPlcUrl: plcUrl,
      serviceHandleDomains: ['.test'],
      dataDirectory: dir,
      blobstoreDiskLocation: path.join(dir, 'blobs'),
    });
    const inner = pds.port;
    front.on('request', (req, res) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: inner, path: req.url, method: req.method, headers: { ...req.headers, 'x-forwarded-proto': 'https' } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    const url = `https://${HOST}:${port}`;
    if (pds.ctx.cfg.service.publicUrl !== url) throw new Error(`the PDS calls itself ${pds.ctx.cfg.service.publicUrl}, expected ${url}`);
    const agent = pds.getAgent();
    const created: DemoAccount[] = [];
    for (const account of accounts) {
      const { data } = await agent.com.atproto.server.createAccount(account);
      // No profile record here: the WebKit accounts show as their handle.
      created.push({ ...account, did: data.did, displayName: '' });
    }
    // Health check through the front, trusting only our CA: the certificate must be valid
    // for the address, or browsers that trust the CA would refuse it too.
    const health = await new Promise<number>((resolve, reject) =>
      https.get(`${url}/xrpc/_health`, { ca: certificate.ca }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject),
    );
    if (health !== 200) throw new Error(`the https PDS answers its health check with HTTP ${health}`);
    return { url, ca: certificate.ca, caFile: certificate.caFile, accounts: created, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`the https PDS did not start: ${err instanceof Error ? err.message : err}`);
  }
}
