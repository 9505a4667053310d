import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of `target` (an http://host:port URL), to take storage away
 * and give it back: `stop()` refuses new connections and cuts open ones (the emulator is down),
 * `hold()` accepts connections but never answers (a network black hole), `resume()` forwards again
 * on the same port.
 */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`, stable across stop/resume. */
  readonly url: string;
  stop(): Promise<void>;
  hold(): void;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const upstream = new URL(target);
  const open = new Set<Socket>();
  let holding = false;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const cutAll = () => {
    for (const socket of open) socket.destroy();
  };
  const server: Server = createServer((client) => {
    track(client);
    if (holding) return;
    const to = connect(Number(upstream.port), upstream.hostname);
    track(to);
    client.pipe(to).pipe(client);
    to.once('close', () => client.destroy());
    client.once('close', () => to.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const closeServer = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      cutAll();
    });

  await listen(0);
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      holding = false;
      await closeServer();
    },
    hold: () => {
      holding = true;
      cutAll();
    },
    resume: async () => {
      holding = false;
      if (!server.listening) await listen(port);
    },
    close: closeServer,
  };
}
