// The archive job of the signatures the platform made (issue 20), with an injected clock on both
// engines: a signature is recorded with a first archive time-stamp from a TSA whose certificate
// ends in two years; the job does nothing until 90 days before that, then renews the chain with
// the operator's new TSA (token over the file hash and the previous token, checked by
// `openssl ts -verify`); a renewal that would gain nothing is not stored; the algorithm policy
// alone makes a record due.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCertificate,
  encodeName,
  ext,
  nameFrom,
  OID,
  toPem,
  type TimeStampAuthority,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import type { PlatformDeps } from '../../src/server/context.ts';
import {
  ALGORITHM_POLICY,
  archiveDueAt,
  recordSignature,
  runArchiveJob,
} from '../../src/signature/archive.ts';
import { forEachEngine } from '../db/harness.ts';
import { createAccount, testDeps } from '../server/support.ts';

const T0 = new Date('2027-04-01T00:00:00Z');
const DAY = 86_400_000;
let now = T0;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'watashi-archive-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A self-issued TSA valid from `from` to `to`, on the test clock. */
async function tsa(cn: string, from: Date, to: Date): Promise<TimeStampAuthority> {
  const key = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const name = encodeName(nameFrom([['CN', cn]]));
  const certificate = await buildCertificate(
    {
      serial: 11n,
      issuer: name,
      subject: name,
      notBefore: from,
      notAfter: to,
      spki: key.spki,
      extensions: [ext.keyUsage(['digitalSignature']), ext.extKeyUsage([OID.kpTimeStamping], true)],
    },
    key,
  );
  return { signer: key, certificate, policy: '1.2.392.999999.20.9', now: () => now };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

forEachEngine((t) => {
  describe('signature archive', () => {
    let deps: PlatformDeps;
    let accountId: string;
    beforeAll(async () => {
      deps = await testDeps(t, {}, () => now);
      accountId = await createAccount(t);
    });

    it('ok-renewed-90-days-before-the-tsa-certificate-ends-with-a-token-over-the-chain', async () => {
      now = T0;
      const old = await tsa('Old TSA', new Date('2026-01-01T00:00:00Z'), new Date('2029-04-01T00:00:00Z'));
      const file = new TextEncoder().encode('%PDF-1.7 signed contract');
      const id = await recordSignature(deps, { accountId, format: 'pades', file }, { authority: old });
      const rec = await deps.db
        .selectFrom('signature_records')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const fileHash = createHash('sha256').update(file).digest();
      expect(hex(rec.file_sha256)).toBe(fileHash.toString('hex'));
      expect(rec.next_due_at.toISOString()).toBe(
        new Date(Date.parse('2029-04-01T00:00:00Z') - 90 * DAY).toISOString(),
      );

      const fresh = await tsa('New TSA', new Date('2028-01-01T00:00:00Z'), new Date('2038-01-01T00:00:00Z'));
      // A day before it is due: nothing.
      now = new Date(rec.next_due_at.getTime() - DAY);
      expect(await runArchiveJob(deps, { authority: fresh })).toEqual({ renewed: 0, stalled: 0 });
      // Due: renewed by the new TSA; due next 90 days before the ECDSA P-256 policy date (2035).
      now = new Date(rec.next_due_at.getTime() + 1000);
      expect(await runArchiveJob(deps, { authority: fresh })).toEqual({ renewed: 1, stalled: 0 });
      const after = await deps.db
        .selectFrom('signature_records')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(after.stamps).toBe(2);
      expect(after.next_due_at.toISOString()).toBe(
        new Date(Date.parse('2035-01-01T00:00:00Z') - 90 * DAY).toISOString(),
      );
      const stamps = await deps.db
        .selectFrom('signature_archive_stamps')
        .selectAll()
        .where('record_id', '=', id)
        .orderBy('seq')
        .execute();
      expect(stamps.map((s) => s.seq)).toEqual([1, 2]);
      // openssl: the first token is over SHA-256(file hash), the second over SHA-256(file hash ‖ first).
      const check = (token: Uint8Array, imprint: Buffer, ca: Uint8Array, name: string) => {
        writeFileSync(join(dir, `${name}.tsr`), token);
        writeFileSync(join(dir, `${name}.pem`), toPem(ca, 'CERTIFICATE'));
        return execFileSync(
          'openssl',
          [
            'ts',
            '-verify',
            '-token_in',
            '-in',
            `${name}.tsr`,
            '-digest',
            imprint.toString('hex'),
            '-CAfile',
            `${name}.pem`,
            '-attime',
            String(Math.floor(now.getTime() / 1000)),
          ],
          { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
      };
      expect(
        check(
          stamps[0]!.token,
          createHash('sha256').update(fileHash).digest(),
          old.certificate,
          `a-${t.engine}`,
        ),
      ).toMatch(/OK/);
      expect(
        check(
          stamps[1]!.token,
          createHash('sha256')
            .update(Buffer.concat([fileHash, stamps[0]!.token]))
            .digest(),
          fresh.certificate,
          `b-${t.engine}`,
        ),
      ).toMatch(/OK/);
      // Run again at once: nothing due.
      expect(await runArchiveJob(deps, { authority: fresh })).toEqual({ renewed: 0, stalled: 0 });
    });

    it('ok-a-renewal-that-gains-nothing-is-not-stored-and-the-policy-alone-makes-a-record-due', async () => {
      now = T0;
      const tsaA = await tsa('A TSA', new Date('2026-01-01T00:00:00Z'), new Date('2040-01-01T00:00:00Z'));
      // A policy retiring ECDSA P-256 in 2028 makes the token due before its certificate ends.
      const policy = [{ ...ALGORITHM_POLICY[1]!, weakensAt: new Date('2028-01-01T00:00:00Z') }];
      const id = await recordSignature(
        deps,
        { accountId, format: 'cades', file: new TextEncoder().encode('申請書') },
        { authority: tsaA, policy },
      );
      const rec = await deps.db
        .selectFrom('signature_records')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(rec.next_due_at.toISOString()).toBe(
        archiveDueAt(
          { tsaNotAfter: new Date('2040-01-01T00:00:00Z'), algorithm: 'ECDSA-SHA256' },
          policy,
          now,
        ).toISOString(),
      );
      // Due, but the only TSA uses the same weakening algorithm: nothing gained, nothing stored.
      now = new Date(rec.next_due_at.getTime() + 1000);
      expect(await runArchiveJob(deps, { authority: tsaA, policy })).toEqual({ renewed: 0, stalled: 1 });
      const stalled = await deps.db
        .selectFrom('signature_records')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect([stalled.stamps, stalled.last_error]).toEqual([1, 'archive_no_progress']);
      expect(stalled.next_due_at.getTime()).toBe(now.getTime() + DAY);
      // An algorithm the policy does not know is weak now: due at once (fail closed).
      expect(
        archiveDueAt(
          { tsaNotAfter: new Date('2040-01-01T00:00:00Z'), algorithm: 'MD5-RSA' },
          policy,
          now,
        ).getTime(),
      ).toBeLessThan(now.getTime());
    });
  });
});
