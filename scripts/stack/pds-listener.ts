// Taking the in-process PDS down and back for fault tests. dev-env runs the PDS in the
// orchestrator, so there is no process to kill: instead its own HTTP server stops listening
// and drops every open connection (the port refuses connections, as with a crashed PDS), then
// the same server object listens again on the same port. The PDS's database, keys and OAuth
// sessions are untouched, as after a restart of a real PDS with its data on disk; and since
// it is the same server object, dev-env's own close() still finds and closes it at the end.
import type http from 'node:http';
import type net from 'node:net';

export interface PdsListener {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function pdsListener(server: http.Server | undefined): PdsListener {
  if (!server) throw new Error('dev-env PDS has no HTTP server to stop and start');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('dev-env PDS is not listening on a TCP port');
  // The PDS listens on every interface (app.listen(port)); listen again the same way.
  const port = address.port;
  // Every socket, upgraded ones (WebSockets) included: closeAllConnections() misses those.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // any opened before the tracking above
        for (const socket of sockets) socket.destroy();
      }),
    start: () =>
      new Promise<void>((resolve, reject) => {
        if (server.listening) return resolve();
        server.once('error', reject);
        server.listen(port, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  };
}
