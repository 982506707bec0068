// Watashi's TSA over HTTP (issue 20): POST /tsa answers queries made by `openssl ts -query`, the
// tokens verify with `openssl ts -verify` against GET /tsa/certificate, the key stays in the key
// store, and a bad body is a problem document, never a 500.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { parseCertificate, toPem } from '@watashi/pki';
import { buildServer } from '../../src/server/app.ts';
import { registerTsaRoutes, TSA_KEY_PURPOSE } from '../../src/tsa/index.ts';
import { forEachEngine } from '../db/harness.ts';
import { listen, testDeps } from '../server/support.ts';

const POLICY = '1.2.392.999999.20.7';

forEachEngine((t) => {
  describe('POST /tsa', () => {
    let app: FastifyInstance;
    let base: string;
    let keyId: string;
    const dir = mkdtempSync(join(tmpdir(), 'watashi-tsa-'));
    const ossl = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`;
    };

    beforeAll(async () => {
      // The operator's own policy (tsa.policyOid), not the simulation placeholder.
      const deps = await testDeps(t, { tsa: { policyOid: POLICY } });
      app = await buildServer(deps);
      await registerTsaRoutes(app, deps);
      base = await listen(app);
      keyId = (await deps.keys.signingKeys!(TSA_KEY_PURPOSE))[0]!.keyId;
    });
    afterAll(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers an openssl query with a token openssl verifies against /tsa/certificate', async () => {
      writeFileSync(join(dir, 'doc.txt'), 'minutes of the meeting');
      execFileSync('openssl', ['ts', '-query', '-data', 'doc.txt', '-sha256', '-cert', '-out', 'q.tsq'], {
        cwd: dir,
      });
      const res = await fetch(`${base}/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: readFileSync(join(dir, 'q.tsq')),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
      writeFileSync(join(dir, 'r.tsr'), new Uint8Array(await res.arrayBuffer()));
      const cert = new Uint8Array(await (await fetch(`${base}/tsa/certificate`)).arrayBuffer());
      const parsed = parseCertificate(cert);
      expect(parsed.subject.rdns.flat().some((a) => a.value === `Watashi TSA ${keyId}`)).toBe(true);
      writeFileSync(join(dir, 'tsa.pem'), toPem(cert, 'CERTIFICATE'));
      expect(ossl(['ts', '-verify', '-in', 'r.tsr', '-queryfile', 'q.tsq', '-CAfile', 'tsa.pem'])).toMatch(
        /Verification: OK/,
      );
      expect(ossl(['ts', '-reply', '-in', 'r.tsr', '-text'])).toContain(`Policy OID: ${POLICY}`);
      // Another document does not verify under the same token.
      writeFileSync(join(dir, 'other.txt'), 'minutes of another meeting');
      expect(ossl(['ts', '-verify', '-in', 'r.tsr', '-data', 'other.txt', '-CAfile', 'tsa.pem'])).not.toMatch(
        /Verification: OK/,
      );
    });

    it('refuses garbage with a rejection answer and a wrong content type with a problem, never a 500', async () => {
      const res = await fetch(`${base}/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: new Uint8Array([1, 2, 3]),
      });
      expect(res.status).toBe(200);
      writeFileSync(join(dir, 'bad.tsr'), new Uint8Array(await res.arrayBuffer()));
      expect(ossl(['ts', '-reply', '-in', 'bad.tsr', '-text'])).toMatch(/Status: Rejected/);
      const json = await fetch(`${base}/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBeGreaterThanOrEqual(400);
      expect(json.status).toBeLessThan(500);
      const big = await fetch(`${base}/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: new Uint8Array(10_000),
      });
      expect(big.status).toBe(413);
    });
  });
});
