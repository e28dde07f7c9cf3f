// An HTTP/1.1 listener started and stopped the way the server's side ports need: listening
// resolves once bound (a bind error rejects), and close ends open keep-alive connections too.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenHttp(server: http.Server, port: number, bind: string): Promise<HttpListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
