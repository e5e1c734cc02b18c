/**
 * A Unix-socket proxy in front of the Docker socket that can hold one request:
 * the service under test talks to dockerd through it ([docker] host_url), and a
 * test can stop the service at an exact point of an operation (e.g. "the
 * container was created and start is on its way") instead of racing it.
 *
 * It only looks at HTTP request lines (the Engine API is HTTP/1.1 and Node
 * sends one request at a time per connection, headers in one write); bytes are
 * otherwise passed through untouched.
 */
import net from 'node:net';
import { rmSync } from 'node:fs';
import { DOCKER_SOCKET } from '../../helpers/services.js';

/** One request line seen by the proxy. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
}

interface Hold {
  readonly test: (r: SeenRequest) => boolean;
  readonly resolve: (r: SeenRequest) => void;
}

const REQUEST_LINE = /(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g;

export class DockerSocketProxy {
  readonly seen: SeenRequest[] = [];
  private readonly holds: Hold[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly socketPath: string,
    private readonly server: net.Server,
  ) {}

  static async start(socketPath: string, upstream = DOCKER_SOCKET): Promise<DockerSocketProxy> {
    rmSync(socketPath, { force: true });
    const server = net.createServer();
    const proxy = new DockerSocketProxy(socketPath, server);
    server.on('connection', (client) => proxy.pipe(client, upstream));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return proxy;
  }

  /**
   * The next request that passes `test` is not forwarded (nor is anything after
   * it on that connection); resolves when it arrives. `test` sees every request
   * in order, so it may keep state ("the first inspect after start").
   */
  holdNext(test: (r: SeenRequest) => boolean): Promise<SeenRequest> {
    return new Promise((resolve) => this.holds.push({ test, resolve }));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private pipe(client: net.Socket, upstreamPath: string): void {
    const upstream = net.connect(upstreamPath);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let held = false;
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (held) return;
      const text = chunk.toString('latin1');
      for (const m of text.matchAll(REQUEST_LINE)) {
        const req: SeenRequest = { method: m[1] as string, path: m[2] as string };
        this.seen.push(req);
        const i = this.holds.findIndex((h) => h.test(req));
        if (i >= 0) {
          const [hold] = this.holds.splice(i, 1);
          held = true;
          if ((m.index ?? 0) > 0) upstream.write(chunk.subarray(0, m.index));
          hold?.resolve(req);
          return;
        }
      }
      upstream.write(chunk);
    });
  }
}
