/**
 * What a Kubernetes Service does for the replicas of a subgraph, on one
 * machine: one address in front of several processes, each new TCP connection
 * handed to the next replica in turn (L4, like kube-proxy; an HTTP keep-alive
 * connection stays on the replica it reached). A replica that refuses the
 * connection (killed, restarting) is skipped, as a Service drops an endpoint
 * whose pod is not ready, so the router keeps reaching the live ones.
 * Connections open on a replica that dies are cut, as they would be in a cluster.
 */
import net from 'node:net';

export interface Balancer {
  readonly port: number;
  /** The replicas' ports, on 127.0.0.1. */
  setBackends(ports: readonly number[]): void;
  close(): Promise<void>;
}

/**
 * Listens at once, before the replicas' ports are chosen (`setBackends`), so that
 * the port the system gives it cannot be one just handed to a replica that has
 * not bound it yet.
 */
export async function startBalancer(): Promise<Balancer> {
  let backendPorts: readonly number[] = [];
  let next = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  function connect(client: net.Socket, attemptsLeft: number): void {
    const backend = net.connect({ host: '127.0.0.1', port: backendPorts[next++ % backendPorts.length]! });
    // Refused before anything was sent: the next replica gets the connection.
    const refused = () => (attemptsLeft > 1 ? connect(client, attemptsLeft - 1) : client.destroy());
    backend.once('error', refused);
    backend.once('connect', () => {
      backend.off('error', refused);
      track(backend);
      backend.on('error', () => undefined);
      // Whichever side goes away takes the other with it.
      backend.once('close', () => client.destroy());
      client.once('close', () => backend.destroy());
      client.pipe(backend).pipe(client);
      client.resume();
    });
  }

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    connect(client, backendPorts.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    setBackends(ports) {
      backendPorts = [...ports];
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
