// End to end against a real OCSP client: `openssl ocsp -url` talks HTTP (RFC 6960 Appendix A.1)
// to a tiny node:http responder built from our request parser and response builder.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../der/hex.ts';
import { own, type Signer } from '../crypto/provider.ts';
import { nodeDigest, nodeVerifier } from '../node/crypto.ts';
import { certIdIssuerHashes, certIdIssuedBy, type CertIdIssuerHashes } from './cert-id.ts';
import { buildOcspRequest, parseOcspRequest } from './request.ts';
import {
  encodeResponseData,
  ocspErrorResponse,
  ocspResponderId,
  signResponseData,
  type OcspCertStatus,
  type OcspResponderId,
} from './respond.ts';
import { parseOcspResponse } from './parse-response.ts';
import { verifyOcspResponse } from './verify.ts';
import { HOUR, NOW, makeOcspFixtures, type OcspFixtures } from './test/fixtures.ts';

const run = promisify(execFile);

describe('OCSP over HTTP with openssl as the client', () => {
  let f: OcspFixtures;
  let server: Server;
  let url: string;
  let issuerHashes: CertIdIssuerHashes[];
  let responderId: OcspResponderId;
  let signs = 0;
  const cache = new Map<string, Uint8Array>();
  const thisUpdate = new Date(NOW.getTime() - 60_000);
  const nextUpdate = new Date(NOW.getTime() + HOUR);
  const revocationTime = new Date('2025-01-02T03:04:05Z');

  const statusOf = (serial: bigint): OcspCertStatus =>
    serial === 0x0705d990n
      ? { type: 'good' }
      : serial === 0x0705d991n
        ? { type: 'revoked', revocationTime, reason: 'superseded' }
        : { type: 'unknown' };

  /** The responder: pre-produced answers for nonce-less single requests, live signing otherwise. */
  async function answer(body: Uint8Array, signer: Signer): Promise<Uint8Array> {
    let req;
    try {
      req = parseOcspRequest(body);
    } catch {
      return ocspErrorResponse('malformedRequest'); // RFC 6960 §2.3
    }
    if (!req.items.every((i) => issuerHashes.some((h) => certIdIssuedBy(i.certId, h)))) {
      return ocspErrorResponse('unauthorized'); // not our CA (RFC 5019 §2.2.3)
    }
    const key =
      req.items.length === 1 && req.nonce === undefined ? toHex(req.items[0]!.certId.der!) : undefined;
    const hit = key === undefined ? undefined : cache.get(key);
    if (hit) return hit;
    const tbs = encodeResponseData({
      responderId,
      producedAt: NOW,
      responses: req.items.map((i) => ({
        certId: i.certId,
        status: statusOf(i.certId.serial),
        thisUpdate,
        nextUpdate,
      })),
      ...(req.nonce === undefined ? {} : { nonce: req.nonce }),
    });
    signs++;
    const der = await signResponseData(tbs, signer);
    if (key !== undefined) cache.set(key, der);
    return der;
  }

  beforeAll(async () => {
    f = await makeOcspFixtures();
    issuerHashes = await Promise.all(
      (['SHA-1', 'SHA-256'] as const).map((h) => certIdIssuerHashes(f.ca, h, nodeDigest)),
    );
    responderId = await ocspResponderId({ spki: f.caSigner.spki, digest: nodeDigest });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const ok = req.method === 'POST' && req.headers['content-type'] === 'application/ocsp-request';
        const body = new Uint8Array(Buffer.concat(chunks));
        answer(ok ? body : new Uint8Array(0), f.caSigner)
          .then((der) => {
            res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': der.length });
            res.end(der);
          })
          .catch((e: unknown) => {
            res.writeHead(500);
            res.end(String(e));
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    f.ws.cleanup();
  });

  /** Runs openssl ocsp as a client (asynchronously: the responder lives in this process). */
  async function client(args: string[]): Promise<string> {
    try {
      const r = await run('openssl', ['ocsp', '-url', url, '-CAfile', 'ca.pem', ...args], { cwd: f.ws.dir });
      return `${r.stdout}${r.stderr}`;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      return `${x.stdout ?? ''}${x.stderr ?? ''}`;
    }
  }

  it('ok-good-with-nonce: openssl (SHA-1 CertID, nonce) gets a verified good answer', async () => {
    const before = signs;
    const out = await client(['-issuer', 'ca.pem', '-cert', 'leaf.pem']);
    expect(out).toContain('Response verify OK');
    expect(out).toContain('leaf.pem: good');
    expect(out).not.toMatch(/nonce/i); // a missing or wrong echo would print a WARNING or a Nonce Verify error
    expect(signs).toBe(before + 1); // a nonce is signed live
  });

  it('ok-revoked-sha256: reason and time over the wire', async () => {
    const out = await client(['-issuer', 'ca.pem', '-sha256', '-cert', 'revoked.pem']);
    expect(out).toContain('Response verify OK');
    expect(out).toContain('revoked.pem: revoked');
    expect(out).toContain('Reason: superseded');
    expect(out).toContain('Revocation Time: Jan  2 03:04:05 2025 GMT');
  });

  it('ok-unknown-and-several-items', async () => {
    const out = await client(['-issuer', 'ca.pem', '-cert', 'leaf.pem', '-cert', 'stranger.pem']);
    expect(out).toContain('Response verify OK');
    expect(out).toContain('leaf.pem: good');
    expect(out).toContain('stranger.pem: unknown');
  });

  it('ok-preproduced: nonce-less requests are answered from the cache, signed once', async () => {
    const before = signs;
    for (let i = 0; i < 3; i++) {
      const out = await client(['-issuer', 'ca.pem', '-cert', 'leaf.pem', '-no_nonce']);
      expect(out).toContain('leaf.pem: good');
    }
    expect(signs).toBe(before + 1);
  });

  it('ok-our-client: our request and verifier against the same server', async () => {
    const nonce = fromHex('3c'.repeat(32));
    const req = await buildOcspRequest({
      items: [{ cert: f.revoked, issuer: f.ca }],
      nonce,
      digest: nodeDigest,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: own(req),
    });
    const der = new Uint8Array(await res.arrayBuffer());
    const v = await verifyOcspResponse({
      der,
      cert: f.revoked,
      issuer: f.ca,
      nonce,
      now: NOW,
      verifier: nodeVerifier(),
      digest: nodeDigest,
    });
    expect(v.status).toBe('revoked');
    expect(v.reason).toBe('superseded');
  });

  it('fail-malformed-request: garbage gets malformedRequest, not a crash', async () => {
    for (const body of [fromHex('3003020101'), fromHex('deadbeef'), new Uint8Array(0)]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: own(body),
      });
      expect(res.status).toBe(200);
      expect(parseOcspResponse(new Uint8Array(await res.arrayBuffer())).responseStatus).toBe(
        'malformedRequest',
      );
    }
    // The server still answers afterwards.
    expect(await client(['-issuer', 'ca.pem', '-cert', 'leaf.pem'])).toContain('leaf.pem: good');
  });

  it('fail-unknown-issuer: openssl reports the unauthorized status', async () => {
    // A request naming the leaf as issuer: no CA of ours matches.
    const out = await client(['-issuer', 'leaf.pem', '-cert', 'revoked.pem']);
    expect(out).toMatch(/Responder Error: unauthorized \(6\)/);
  });
});
