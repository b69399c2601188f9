/**
 * The thinnest hop a Node process can be, for the gateway comparison (./gateway-compare.ts): it forwards
 * each request's bytes to a subgraph over kept-alive connections and passes the answer's bytes back, with
 * no JSON parsing, no GraphQL and no framework. What it costs against the subgraph alone is what any
 * gateway process in that path costs at the least on the machine (the second loopback round trip, the
 * process and its HTTP handling), before it does any gateway work.
 *
 * Reads HOP_PORT (where it listens, 127.0.0.1) and HOP_UPSTREAMS, a JSON object from a path prefix to an
 * origin: with `{"products": "http://127.0.0.1:4001"}`, `POST /products/graphql` goes to
 * `http://127.0.0.1:4001/graphql` with the request's headers (its secret and identity headers included).
 */
import http from 'node:http';

const port = Number(process.env['HOP_PORT']);
const upstreams = new Map(Object.entries(JSON.parse(process.env['HOP_UPSTREAMS'] ?? '{}') as Record<string, string>).map(([prefix, origin]) => [prefix, new URL(origin)]));
if (!Number.isInteger(port) || upstreams.size === 0) throw new Error('byte-hop needs HOP_PORT and HOP_UPSTREAMS ({"<prefix>": "<origin>"})');

// As many sockets per upstream as the bench has connections, and more: a request never waits for one.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const server = http.createServer((request, response) => {
  const slash = request.url!.indexOf('/', 1);
  const upstream = upstreams.get(request.url!.slice(1, slash === -1 ? undefined : slash));
  if (!upstream || slash === -1) {
    response.writeHead(404).end();
    return;
  }
  const { host: _host, connection: _connection, ...headers } = request.headers;
  const call = http.request({ agent, hostname: upstream.hostname, port: upstream.port, method: request.method, path: request.url!.slice(slash), headers }, (answer) => {
    // Hop-by-hop headers stay on their hop: each side keeps its own connection.
    const { connection: _close, 'keep-alive': _keepAlive, ...answerHeaders } = answer.headers;
    response.writeHead(answer.statusCode!, answerHeaders);
    answer.pipe(response);
  });
  call.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`upstream failed: ${error.message}`);
  });
  request.pipe(call);
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
});
