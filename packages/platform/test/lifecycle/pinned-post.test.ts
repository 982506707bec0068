// The production transport of event delivery over real TLS: a local HTTPS server with a
// certificate for `rp.test` issued by a CA openssl makes at test time, reached through the vetted
// address 127.0.0.1 while SNI, the Host header and certificate verification use the name. `rp.test`
// resolves nowhere (RFC 6761 §6.2), so a request that arrives went through the pinned lookup.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pinnedPost, RESPONSE_BODY_LIMIT } from '../../src/lifecycle/events/pinned-post.ts';
import type { VettedTarget } from '../../src/lifecycle/events/target-guard.ts';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';

const ws = opensslWorkspace();
let ca: string;
let server: Server;
let port: number;

/** What the server saw of one request. */
interface Seen {
  readonly sni: string | false | null;
  readonly host: string | undefined;
  readonly remote: string | undefined;
  readonly path: string;
  readonly body: string;
}
let seen: Seen[] = [];
let connections = 0;
let respond: (path: string) => {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
};

beforeAll(async () => {
  // A CA and a server certificate for rp.test under it (P-256, two days).
  ws.write(
    'leaf.ext',
    'subjectAltName=DNS:rp.test\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ws.ok([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=Watashi test CA',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  ws.ok(['req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=rp.test']);
  ws.ok([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  ]);
  ca = readFileSync(`${ws.dir}/ca.pem`, 'utf8');
  server = createServer(
    { key: readFileSync(`${ws.dir}/leaf.key`), cert: readFileSync(`${ws.dir}/leaf.pem`) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        seen.push({
          sni: (req.socket as TLSSocket).servername,
          host: req.headers.host,
          remote: req.socket.remoteAddress,
          path,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const a = respond(path);
        setTimeout(() => {
          res.writeHead(a.status, a.headers);
          res.end(a.body ?? '');
        }, a.delayMs ?? 0);
      });
    },
  );
  server.on('connection', () => connections++);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  ws.cleanup();
});

beforeEach(() => {
  seen = [];
  connections = 0;
  respond = () => ({ status: 202 });
});

const vetted = (host = 'rp.test', addresses = ['127.0.0.1']): VettedTarget => ({
  url: new URL(`https://${host}:${port}/events`),
  addresses,
});
const post = { headers: { 'content-type': 'application/secevent+jwt' }, body: 'a.b.c' };
const never = () => false;

describe('pinnedPost', () => {
  it('ok-reaches-the-vetted-address-with-sni-host-and-the-certificate-checked-against-the-name', async () => {
    const out = await pinnedPost(vetted(), post, { timeoutMs: 5000, wantBody: never, ca });
    expect(out).toEqual({ status: 202 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({
      sni: 'rp.test',
      host: `rp.test:${port}`,
      remote: '127.0.0.1',
      path: '/events',
      body: 'a.b.c',
    });
  });

  it('fail-a-certificate-for-another-name-is-refused-before-any-request', async () => {
    // Same socket, same CA, but the URL names wrong.test: the rp.test certificate does not match.
    const out = await pinnedPost(vetted('wrong.test'), post, { timeoutMs: 5000, wantBody: never, ca });
    expect(out).toEqual({ failed: 'network_error' });
    expect(seen).toEqual([]);
  });

  it('fail-an-untrusted-ca-is-refused-before-any-request', async () => {
    // Node's bundled roots only: the test CA is unknown.
    const out = await pinnedPost(vetted(), post, { timeoutMs: 5000, wantBody: never });
    expect(out).toEqual({ failed: 'network_error' });
    expect(seen).toEqual([]);
  });

  it('fail-no-vetted-address-means-no-connection', async () => {
    const out = await pinnedPost(vetted('rp.test', []), post, { timeoutMs: 5000, wantBody: never, ca });
    expect(out).toEqual({ failed: 'network_error' });
    expect(connections).toBe(0);
  });

  it('ok-a-redirect-is-a-status-not-followed', async () => {
    respond = (path) =>
      path === '/events'
        ? { status: 307, headers: { location: `https://rp.test:${port}/elsewhere` } }
        : { status: 202 };
    const out = await pinnedPost(vetted(), post, { timeoutMs: 5000, wantBody: never, ca });
    expect(out).toEqual({ status: 307 });
    expect(seen.map((s) => s.path)).toEqual(['/events']);
  });

  it('ok-the-body-is-read-when-wanted-and-at-most-64-kib', async () => {
    respond = (path) =>
      path === '/events'
        ? { status: 400, headers: { 'content-type': 'application/json' }, body: '{"err":"invalid_key"}' }
        : { status: 400, body: 'x'.repeat(RESPONSE_BODY_LIMIT * 4) };
    const want = (s: number) => s === 400;
    expect(await pinnedPost(vetted(), post, { timeoutMs: 5000, wantBody: want, ca })).toEqual({
      status: 400,
      body: '{"err":"invalid_key"}',
    });
    const big = {
      url: new URL(`https://rp.test:${port}/big`),
      addresses: ['127.0.0.1'],
    };
    const out = await pinnedPost(big, post, { timeoutMs: 5000, wantBody: want, ca });
    expect('status' in out && out.body?.length).toBe(RESPONSE_BODY_LIMIT);
  });

  it('fail-no-answer-in-time-is-a-timeout', async () => {
    respond = () => ({ status: 202, delayMs: 1500 });
    const t0 = Date.now();
    const out = await pinnedPost(vetted(), post, { timeoutMs: 300, wantBody: never, ca });
    expect(out).toEqual({ failed: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1400);
  });
});
