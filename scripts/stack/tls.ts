// A local certificate authority and a server certificate for loopback addresses, for the parts
// of the test stack that must be served over https (the WebKit suite's PDS: WebKitGTK drops
// `Secure` cookies set over http://localhost, and the reference PDS's sign-in form needs one).
// Made with the openssl command line, since Node can read certificates but not issue them.
// Fresh keys on every call: nothing here is ever trusted outside the test that made it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export interface LocalCertificate {
  /** The CA certificate (PEM): what a client must trust, e.g. NODE_EXTRA_CA_CERTS or `ca`. */
  ca: string;
  caFile: string;
  /** The server's certificate (PEM, signed by the CA) and its private key. */
  cert: string;
  key: string;
}

const DAYS = '2';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'openssl is not installed: it makes the local https certificate (apt-get install -y openssl)'
        : `openssl ${args[0]} failed: ${stderr || (err as Error).message}`,
    );
  }
}

/**
 * Writes ca.pem, server.pem and their keys (owner-only) into `dir`, for `names` (IP addresses,
 * or DNS names such as `*.example.lan`), and returns them.
 */
export function localCertificate(dir: string, names: string[]): LocalCertificate {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', DAYS,
    '-subj', '/CN=Microclimate local test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  openssl(['req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/CN=${names[0]}`], dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`,
  ].join('\n') + '\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial',
    '-days', DAYS, '-extfile', 'server.ext', '-out', 'server.pem'], dir);
  for (const file of ['ca-key.pem', 'server-key.pem']) fs.chmodSync(path.join(dir, file), 0o600);
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  return { ca: read('ca.pem'), caFile: path.join(dir, 'ca.pem'), cert: read('server.pem'), key: read('server-key.pem') };
}
