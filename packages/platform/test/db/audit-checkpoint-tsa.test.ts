// RFC 3161 time-stamps on audit checkpoints (issue 21, item 5), with openssl as the TSA
// (`openssl ts -reply` behind node:http) and as the independent check (`openssl ts -verify`).
// A TSA failure never loses or corrupts a checkpoint: it is written without a token.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { fromPem, isWatashiError, parseCertificate, type Certificate } from '@watashi/pki';
import { createMemoryKeyStore } from '../../src/keys/index.ts';
import { appendAudit, type AuditEvent } from '../../src/store/audit.ts';
import {
  readLatestAuditCheckpoint,
  verifyAuditCheckpointTimestamp,
  writeAuditCheckpoint,
  type AuditCheckpointFile,
} from '../../src/store/audit-checkpoint.ts';
// The same openssl-backed TSA as the pki tests (an independent implementation).
import { startOpensslTsa, type OpensslTsa } from '../../../pki/src/tsp/test/openssl-tsa.ts';
import { forEachEngine, resetDatabase } from './harness.ts';

const run = promisify(execFile);

const event = (i: number): AuditEvent => ({
  actor: 'system:test',
  type: 'test.event',
  accountId: randomUUID(),
  payload: { i },
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
});

const dirs: string[] = [];
let tsa: OpensslTsa;
let anchors: Certificate[];
let otherAnchors: Certificate[];
beforeAll(async () => {
  tsa = await startOpensslTsa();
  anchors = [parseCertificate(fromPem(tsa.caPem))];
  otherAnchors = [parseCertificate(fromPem(tsa.otherCaPem))];
});
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await tsa?.close();
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'audit-tsa-'));
  dirs.push(d);
  return d;
};

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

forEachEngine((t) => {
  const keys = createMemoryKeyStore();
  beforeEach(async () => {
    await resetDatabase(t.db);
    tsa.mode = 'grant';
  });
  const appendN = async (from: number, to: number) => {
    for (let i = from; i <= to; i++) await t.database.transaction((trx) => appendAudit(trx, event(i)));
  };

  it('ok-checkpoint-time-stamped-and-openssl-verifies-the-token', async () => {
    const dir = tempDir();
    await appendN(1, 3);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const made = await writeAuditCheckpoint(t.db, keys, dir, { tsa: { url: tsa.url, anchors } });
    expect(made.timestampError).toBeUndefined();
    expect(made.timestamp!.genTime.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const file = JSON.parse(readFileSync(made.file, 'utf8')) as AuditCheckpointFile;
    expect(typeof file.timestamp).toBe('string');
    // Read back and verified: the same checks, genTime reported.
    const latest = await readLatestAuditCheckpoint(dir, keys);
    const ts = await verifyAuditCheckpointTimestamp(latest!, anchors);
    expect(ts!.genTime).toEqual(made.timestamp!.genTime);
    // openssl: the token is over SHA-256 of the JWS and chains to the TSA root.
    writeFileSync(join(dir, 'jws.txt'), file.jws);
    writeFileSync(join(dir, 'token.der'), Buffer.from(file.timestamp!, 'base64'));
    const { stdout, stderr } = await run('openssl', [
      'ts', '-verify', '-data', join(dir, 'jws.txt'), '-in', join(dir, 'token.der'), '-token_in',
      '-CAfile', join(tsa.dir, 'ca.pem'),
    ]); // prettier-ignore
    expect(`${stdout}${stderr}`).toMatch(/Verification: OK/);
  });

  it('fail-tsa-down-refusing-or-untrusted-checkpoint-written-without-token', async () => {
    const dir = tempDir();
    await appendN(1, 2);
    const cases: Array<[() => void, { url: string; anchors: Certificate[] }, string]> = [
      [() => (tsa.mode = 'reject'), { url: tsa.url, anchors }, 'tsp_rejected'],
      [() => (tsa.mode = 'http-error'), { url: tsa.url, anchors }, 'tsp_rejected'],
      [() => (tsa.mode = 'grant'), { url: 'http://127.0.0.1:1/tsa', anchors }, 'tsp_rejected'],
      [() => (tsa.mode = 'grant'), { url: tsa.url, anchors: otherAnchors }, 'tsp_untrusted'],
    ];
    let i = 3;
    for (const [setup, opts, code] of cases) {
      setup();
      await appendN(i, i);
      i++;
      const made = await writeAuditCheckpoint(t.db, keys, dir, { tsa: opts });
      expect(made.timestampError?.code).toBe(code);
      expect(made.timestamp).toBeUndefined();
      // The checkpoint is there, whole, signed, without a token.
      const file = JSON.parse(readFileSync(made.file, 'utf8')) as AuditCheckpointFile;
      expect(file.timestamp).toBeUndefined();
      const latest = await readLatestAuditCheckpoint(dir, keys);
      expect(latest).toMatchObject({ seq: made.seq });
      expect(await verifyAuditCheckpointTimestamp(latest!, anchors)).toBeUndefined();
    }
  });

  it('fail-stored-token-of-another-checkpoint-or-untrusted-tsa', async () => {
    const dir = tempDir();
    await appendN(1, 2);
    const first = await writeAuditCheckpoint(t.db, keys, dir, { tsa: { url: tsa.url, anchors } });
    await appendN(3, 4);
    const second = await writeAuditCheckpoint(t.db, keys, dir, { tsa: { url: tsa.url, anchors } });
    const latest = (await readLatestAuditCheckpoint(dir, keys))!;
    // Under other TSA anchors the token is not trusted.
    const untrusted = await verifyAuditCheckpointTimestamp(latest, otherAnchors).catch((e: unknown) => e);
    expect(untrusted).toMatchObject({ code: 'audit_timestamp_invalid', detail: { reason: 'tsp_untrusted' } });
    // The first checkpoint's token moved onto the second: over another imprint.
    const a = JSON.parse(readFileSync(first.file, 'utf8')) as AuditCheckpointFile;
    const b = JSON.parse(readFileSync(second.file, 'utf8')) as AuditCheckpointFile;
    writeFileSync(second.file, JSON.stringify({ ...b, timestamp: a.timestamp }));
    const swapped = (await readLatestAuditCheckpoint(dir, keys))!;
    const e = await verifyAuditCheckpointTimestamp(swapped, anchors).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'audit_timestamp_invalid', detail: { reason: 'tsp_imprint_mismatch' } });
    // Garbage in the field.
    writeFileSync(second.file, JSON.stringify({ ...b, timestamp: 'AAAA' }));
    expect(
      await failure(verifyAuditCheckpointTimestamp((await readLatestAuditCheckpoint(dir, keys))!, anchors)),
    ).toBe('audit_timestamp_invalid');
    writeFileSync(second.file, JSON.stringify({ ...b, timestamp: 42 }));
    expect(await failure(readLatestAuditCheckpoint(dir, keys))).toBe('audit_checkpoint_invalid');
  });
});
