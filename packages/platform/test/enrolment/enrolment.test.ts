// Enrolment end to end on both engines: a real in-process J-LIS simulator, hosted cards driven by
// the real card client over HTTP, the platform's enrolment routes on a real Fastify instance, and
// openssl as the independent check of a CMS the card produced.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, isWatashiError, parseCertificate, toBase64, toPem } from '@watashi/pki';
import { JpkiTrustStore } from '@watashi/jpki';
import { opensslWorkspace } from '../../../pki/test/openssl.ts';
import { platformConfigSchema, type PlatformConfigInput } from '../../src/config.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { MemoryJobQueue } from '../../src/jobs/job-queue.ts';
import { createJpkiBackend } from '../../src/jlis/index.ts';
import type { JpkiBackend } from '../../src/jlis/backend.ts';
import {
  completeEnrolment,
  issueEnrolment,
  openBasic4,
  registerEnrolmentRoutes,
  type EnrolmentDeps,
} from '../../src/enrolment/index.ts';
import { forEachEngine, type EngineContext } from '../db/harness.ts';
import { memoryKeyStore, newResident, simTrust, startSim, type CardHolder, type TestSim } from './support.ts';

const OPERATOR = 'watashi-test';
let sim: TestSim;
let other: TestSim; // a second simulator: same DNs, other keys (a wrong chain)
let trust: JpkiTrustStore;
const ws = opensslWorkspace();

beforeAll(async () => {
  const at = new Date(Math.floor(Date.now() / 1000) * 1000);
  sim = await startSim('enrolment', at);
  other = await startSim('enrolment-other', at);
  trust = await simTrust(sim);
});

afterAll(async () => {
  await sim?.close();
  await other?.close();
  ws.cleanup();
});

/** A platform under test: deps with a movable clock, and the routes on a bare Fastify app. */
interface Platform {
  deps: EnrolmentDeps;
  app: FastifyInstance;
  setNow(d: Date): void;
  close(): Promise<void>;
}

async function platform(
  t: EngineContext,
  over: Partial<PlatformConfigInput> = {},
  extra: Partial<EnrolmentDeps> = {},
): Promise<Platform> {
  let now = sim.clock.now();
  const config = platformConfigSchema.parse({
    mode: 'simulation',
    jlis: { kind: 'simulator', url: sim.url, operatorId: OPERATOR },
    publicUrl: 'https://watashi.example',
    ...over,
  });
  const deps: EnrolmentDeps = {
    config,
    database: t.database,
    keys: memoryKeyStore(),
    backend: createJpkiBackend(config.jlis!, { now: () => now }),
    trust,
    now: () => now,
    ...extra,
  };
  const app = Fastify({ bodyLimit: config.bodyLimitBytes });
  await app.register(cookie);
  app.decorateRequest('session', null);
  // Stand-in for server-core's problem handler: WatashiError → RFC 9457 with detail.status.
  app.setErrorHandler((err, _req, reply) => {
    const e = err as { code?: string; detail?: { status?: number }; statusCode?: number };
    const status = e.detail?.status ?? e.statusCode ?? 500;
    const code = isWatashiError(err) ? err.code : status === 413 ? 'body_too_large' : 'internal';
    return reply.code(status).type('application/problem+json').send({ status, code });
  });
  registerEnrolmentRoutes(app, { ...deps, db: t.db, jobs: new MemoryJobQueue() });
  await app.ready();
  return { deps, app, setNow: (d) => (now = d), close: () => app.close() };
}

async function post(
  p: Platform,
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await p.app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
  return { status: r.statusCode, body: r.json() };
}

interface Issued {
  id: string;
  document: {
    bytes: string;
    rendering: string;
    content: { nonce: string; terms: { ja: string; en: string } };
  };
  consentDocument?: string;
  expiresAt: string;
}

async function issue(p: Platform, consent = false): Promise<Issued & { bytes: Uint8Array }> {
  const r = await post(p, '/api/enrolments', consent ? { consent: true } : {});
  expect(r.status).toBe(201);
  const b = r.body as unknown as Issued;
  return { ...b, bytes: fromBase64(b.document.bytes) };
}

async function complete(p: Platform, id: string, body: Record<string, string>) {
  return post(p, `/api/enrolments/${id}/complete`, body);
}

const cmsBody = async (h: CardHolder, doc: Uint8Array, detached = false) => ({
  cms: toBase64(await h.cms(doc, detached)),
});

async function failCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isWatashiError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

forEachEngine((t) => {
  let p: Platform;
  beforeAll(async () => {
    p = await platform(t);
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('document', () => {
    it('ok-document-has-terms-attributes-nonce-expiry', async () => {
      const d = await issue(p, true);
      const content = JSON.parse(new TextDecoder().decode(d.bytes)) as Record<string, unknown>;
      expect(content).toMatchObject({
        type: 'watashi/enrolment-document',
        purpose: 'enrolment',
        operator: { id: OPERATOR, url: 'https://watashi.example' },
        attributes: ['name', 'address', 'birthDate', 'sex'],
        nonce: d.id,
      });
      expect(d.document.content.terms.ja).toContain('個人番号（マイナンバー）は読み取らず');
      expect(d.document.content.terms.en).toContain('never reads, stores or uses');
      expect(d.document.rendering).toContain('読み取る情報: 氏名、住所、生年月日、性別');
      expect(new Date(d.expiresAt).getTime() - sim.clock.now().getTime()).toBeLessThanOrEqual(600_000);
      const consent = JSON.parse(new TextDecoder().decode(fromBase64(d.consentDocument!))) as Record<
        string,
        unknown
      >;
      expect(consent).toMatchObject({ type: 'jlis-sim/basic4-consent', operatorId: OPERATOR });
      const row = await t.db
        .selectFrom('enrolment_nonces')
        .selectAll()
        .where('nonce', '=', fromBase64(d.id))
        .executeTakeFirstOrThrow();
      expect(row.purpose).toBe('enrolment');
      expect(row.used_at).toBeNull();
      expect(row.document).toEqual(d.bytes);
    });
  });

  describe('success', () => {
    it('ok-enrolment-signs-the-resident-in', async () => {
      const h = await newResident(sim, { name: '田中\u3000一', birthDate: '1985-01-02', sex: '1' });
      const d = await issue(p);
      const r = await p.app.inject({
        method: 'POST',
        url: `/api/enrolments/${d.id}/complete`,
        payload: await cmsBody(h, d.bytes),
      });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json<Record<string, unknown>>();
      expect(body['acr']).toMatch(/^urn:watashi:ac:jp:ial3-aal\d$/);
      const cookie = r.cookies.find((c) => c.name === 'watashi_session');
      expect(cookie?.httpOnly).toBe(true);
      // The cookie carries the token; the store holds only its SHA-256, for this account.
      const session = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', new Uint8Array(createHash('sha256').update(cookie!.value).digest()))
        .executeTakeFirstOrThrow();
      expect(session).toMatchObject({ account_id: body['accountId'], authenticator_id: null });
      expect(session.amr.length).toBeGreaterThan(0);
      // A failed completion signs nobody in (another resident's signature over the used document).
      const bad = await p.app.inject({
        method: 'POST',
        url: `/api/enrolments/${d.id}/complete`,
        payload: await cmsBody(await newResident(sim), d.bytes),
      });
      expect(bad.statusCode).toBeGreaterThanOrEqual(400);
      expect(bad.cookies.find((c) => c.name === 'watashi_session')).toBeUndefined();
    });

    it('ok-enrol-attached-cms-creates-account-anchor-basic4-audit', async () => {
      const h = await newResident(sim, { name: '山田\u3000花子', birthDate: '1990-05-06', sex: '2' });
      const d = await issue(p);
      const cms = await h.cms(d.bytes);
      const r = await complete(p, d.id, { cms: toBase64(cms) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ created: true, proofingLevel: 3 });
      const accountId = r.body['accountId'] as string;
      const acc = await t.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', accountId)
        .executeTakeFirstOrThrow();
      expect(acc).toMatchObject({ status: 'live', proofing_level: 3, proofing_method: 'jpki_sign_card' });
      const anchor = await t.db
        .selectFrom('anchors')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      const cert = parseCertificate((await h.raw(d.bytes)).certificate);
      expect(anchor).toMatchObject({
        purpose: 'sign',
        variant: 'card',
        status: 'good',
        serial: cert.serial.toString(),
      });
      expect(anchor.evidence).toMatchObject({ source: 'ocsp', status: 'good', signatureFormat: 'cms' });
      expect(typeof anchor.evidence['ocsp']).toBe('string');
      const b4 = await openBasic4(p.deps, t.db, accountId);
      expect(b4?.name).toBe('山田\u3000花子');
      const ciphertext = await t.db
        .selectFrom('basic4')
        .select('ciphertext')
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      expect(Buffer.from(ciphertext.ciphertext).includes(Buffer.from('山田'))).toBe(false);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['type', 'payload'])
        .where('account_id', '=', accountId)
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => a.type)).toEqual(['account.created', 'anchor.added']);
      expect(JSON.stringify(audit)).not.toContain('山田');
      expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
      // openssl accepts the card's CMS over the document (independent check).
      const cmsPath = ws.write(`${t.engine}-enrol.p7s`, cms);
      const rootPath = ws.write(
        `${t.engine}-roots.pem`,
        trust
          .anchors('sign')
          .map((a) => toPem(a.der, 'CERTIFICATE'))
          .join(''),
      );
      const signed = ws.ok([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        cmsPath,
        '-CAfile',
        rootPath,
        '-purpose',
        'any',
      ]);
      expect(signed).toBe(new TextDecoder().decode(d.bytes));
    });

    it('ok-enrol-detached-cms-and-raw-pkcs1', async () => {
      const h1 = await newResident(sim);
      const d1 = await issue(p);
      const r1 = await complete(p, d1.id, await cmsBody(h1, d1.bytes, true));
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      const h2 = await newResident(sim);
      const d2 = await issue(p);
      const raw = await h2.raw(d2.bytes);
      const r2 = await complete(p, d2.id, {
        signature: toBase64(raw.signature),
        certificate: toBase64(raw.certificate),
      });
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      expect(r2.body['created']).toBe(true);
    });

    it('ok-same-card-again-finds-the-same-account', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p);
      const r1 = await complete(p, d1.id, await cmsBody(h, d1.bytes));
      const d2 = await issue(p);
      const r2 = await complete(p, d2.id, await cmsBody(h, d2.bytes));
      expect(r2.status).toBe(200);
      expect(r2.body).toMatchObject({ accountId: r1.body['accountId'], created: false });
      const anchors = await t.db
        .selectFrom('anchors')
        .select('id')
        .where('account_id', '=', r1.body['accountId'] as string)
        .execute();
      expect(anchors).toHaveLength(1);
    });

    it('ok-two-concurrent-enrolments-of-one-person-make-one-account', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p);
      const d2 = await issue(p);
      const b1 = await cmsBody(h, d1.bytes);
      const b2 = await cmsBody(h, d2.bytes);
      const [r1, r2] = await Promise.all([complete(p, d1.id, b1), complete(p, d2.id, b2)]);
      expect([r1.status, r2.status]).toEqual([200, 200]);
      expect(r1.body['accountId']).toBe(r2.body['accountId']);
      expect([r1.body['created'], r2.body['created']].sort()).toEqual([false, true]);
    });

    it('ok-move-with-consent-re-anchors-the-same-account-through-jlis', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p, true);
      const consentCms = await h.cms(fromBase64(d1.consentDocument!));
      const r1 = await complete(p, d1.id, {
        ...(await cmsBody(h, d1.bytes)),
        consentCms: toBase64(consentCms),
      });
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      expect(typeof r1.body['consentId']).toBe('string');
      const accountId = r1.body['accountId'] as string;
      // The resident moves: J-LIS revokes the signing certificate (affiliationChanged) and issues a new one.
      await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
      sim.s.sim.refreshOcsp();
      const d2 = await issue(p);
      const r2 = await complete(p, d2.id, await cmsBody(h, d2.bytes));
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      expect(r2.body).toMatchObject({ accountId, created: false });
      const anchors = await t.db
        .selectFrom('anchors')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
      expect(anchors).toHaveLength(2);
      expect(anchors.filter((a) => a.superseded_by === null)).toHaveLength(1);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['type', 'payload'])
        .where('account_id', '=', accountId)
        .orderBy('seq')
        .execute();
      expect(audit.map((a) => a.type)).toEqual([
        'account.created',
        'anchor.added',
        'consent.granted',
        'account.reproofed',
        'anchor.added',
      ]);
      expect(audit[3]!.payload['confirmedBy']).toBe('jlis_link');
    });

    it('fail-move-without-consent-is-unconfirmed-then-ok-reproofing-from-the-account', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p);
      const r1 = await complete(p, d1.id, await cmsBody(h, d1.bytes));
      const accountId = r1.body['accountId'] as string;
      const before = await openBasic4(p.deps, t.db, accountId);
      await sim.s.sim.lifeEvent(h.residentId, { type: 'move' });
      sim.s.sim.refreshOcsp();
      const d2 = await issue(p);
      const r2 = await complete(p, d2.id, await cmsBody(h, d2.bytes));
      expect(r2.body['code']).toBe('enrolment_person_unconfirmed');
      expect(r2.status).toBe(409);
      // Refused inside the transaction after the nonce was consumed: all of it rolled back.
      const nonceRow = await t.db
        .selectFrom('enrolment_nonces')
        .select('used_at')
        .where('nonce', '=', fromBase64(d2.id))
        .executeTakeFirstOrThrow();
      expect(nonceRow.used_at).toBeNull();
      expect(
        await t.db.selectFrom('anchors').select('id').where('account_id', '=', accountId).execute(),
      ).toHaveLength(1);
      // Signed in (passkey), the resident re-proofs with the new card: same account, new anchor.
      const rp = await issueEnrolment(p.deps, { purpose: 'reproofing', accountId });
      const cms = await h.cms(fromBase64(rp.document.bytes));
      expect(
        await failCode(completeEnrolment(p.deps, { id: rp.id, signature: { cms }, session: null })),
      ).toBe('enrolment_wrong_account');
      const done = await completeEnrolment(p.deps, { id: rp.id, signature: { cms }, session: { accountId } });
      expect(done).toMatchObject({ accountId, created: false, proofingLevel: 3 });
      const b4 = await openBasic4(p.deps, t.db, accountId);
      const cur = await t.db
        .selectFrom('anchors')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('superseded_by', 'is', null)
        .execute();
      expect(cur).toHaveLength(1);
      expect(b4?.name).toBe(before?.name);
      expect(b4?.address).not.toBe(before?.address);
      // Another person's card cannot be bound to the account.
      const someoneElse = await newResident(sim, { birthDate: '1931-02-03' });
      const rp2 = await issueEnrolment(p.deps, { purpose: 'reproofing', accountId });
      const cms2 = await someoneElse.cms(fromBase64(rp2.document.bytes));
      expect(
        await failCode(
          completeEnrolment(p.deps, { id: rp2.id, signature: { cms: cms2 }, session: { accountId } }),
        ),
      ).toBe('enrolment_reproofing_person_mismatch');
    });
  });

  describe('failures (documented order)', () => {
    it('ok-retried-completion-returns-the-same-account-and-a-session-without-asking-jlis', async () => {
      // The reply of a committed completion was lost (or its session not written): the app sends
      // the same body again and must get the account it made, not enrolment_nonce_replayed.
      const h = await newResident(sim);
      const d = await issue(p);
      const body = await cmsBody(h, d.bytes);
      const first = await complete(p, d.id, body);
      expect(first.status).toBe(200);
      const backend = p.deps.backend as { ocspStatus: JpkiBackend['ocspStatus'] };
      const ocsp = backend.ocspStatus.bind(backend);
      let queries = 0;
      backend.ocspStatus = (...a) => {
        queries++;
        return ocsp(...a);
      };
      try {
        const r = await p.app.inject({
          method: 'POST',
          url: `/api/enrolments/${d.id}/complete`,
          payload: body,
        });
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json()).toMatchObject({
          accountId: first.body['accountId'],
          created: true,
          proofingLevel: first.body['proofingLevel'],
        });
        expect(r.cookies.find((c) => c.name === 'watashi_session')?.value).toBeTruthy();
        // A new signature by the same card over the same document is a retry too.
        expect((await complete(p, d.id, await cmsBody(h, d.bytes, true))).body['accountId']).toBe(
          first.body['accountId'],
        );
      } finally {
        backend.ocspStatus = ocsp;
      }
      expect(queries).toBe(0);
      // Still one account, one current anchor, one account.created event.
      const events = await t.db
        .selectFrom('audit_log')
        .select('type')
        .where('account_id', '=', first.body['accountId'] as string)
        .execute();
      expect(events.filter((e) => e.type === 'account.created')).toHaveLength(1);
    });

    it('fail-used-nonce-with-another-certificate', async () => {
      const d = await issue(p);
      expect((await complete(p, d.id, await cmsBody(await newResident(sim), d.bytes))).status).toBe(200);
      const other = await complete(p, d.id, await cmsBody(await newResident(sim), d.bytes));
      expect(other).toMatchObject({ status: 409, body: { code: 'enrolment_nonce_replayed' } });
    });

    it('fail-used-nonce-with-a-bad-signature', async () => {
      const h = await newResident(sim);
      const d = await issue(p);
      expect((await complete(p, d.id, await cmsBody(h, d.bytes))).status).toBe(200);
      const d2 = await issue(p);
      const again = await complete(p, d.id, await cmsBody(h, d2.bytes));
      expect(again).toMatchObject({ body: { code: 'enrolment_signature_mismatch' } });
    });

    it('fail-replayed-nonce-after-expiry', async () => {
      const h = await newResident(sim);
      const d = await issue(p);
      const body = await cmsBody(h, d.bytes);
      expect((await complete(p, d.id, body)).status).toBe(200);
      p.setNow(new Date(sim.clock.now().getTime() + 601_000));
      try {
        const again = await complete(p, d.id, body);
        expect(again).toMatchObject({ status: 409, body: { code: 'enrolment_nonce_replayed' } });
      } finally {
        p.setNow(sim.clock.now());
      }
    });

    it('fail-expired-nonce', async () => {
      const h = await newResident(sim);
      const d = await issue(p);
      const body = await cmsBody(h, d.bytes);
      p.setNow(new Date(sim.clock.now().getTime() + 601_000));
      try {
        const r = await complete(p, d.id, body);
        expect(r).toMatchObject({ status: 410, body: { code: 'enrolment_nonce_expired' } });
      } finally {
        p.setNow(sim.clock.now());
      }
    });

    it('fail-signature-over-another-document', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p);
      const d2 = await issue(p);
      // Attached CMS over d2 sent for d1; detached CMS over d2; raw signature over d2.
      expect((await complete(p, d1.id, await cmsBody(h, d2.bytes))).body['code']).toBe(
        'enrolment_signature_mismatch',
      );
      expect((await complete(p, d1.id, await cmsBody(h, d2.bytes, true))).body['code']).toBe(
        'enrolment_signature_mismatch',
      );
      const raw = await h.raw(d2.bytes);
      const r = await complete(p, d1.id, {
        signature: toBase64(raw.signature),
        certificate: toBase64(raw.certificate),
      });
      expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_signature_mismatch' } });
      // Nothing was written and the nonce is still usable.
      expect((await complete(p, d1.id, await cmsBody(h, d1.bytes))).status).toBe(200);
    });

    it('fail-malformed-cms-and-certificate-and-request', async () => {
      const d = await issue(p);
      expect(
        (await complete(p, d.id, { cms: toBase64(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])) })).body[
          'code'
        ],
      ).toBe('enrolment_cms_malformed');
      expect((await complete(p, d.id, { cms: toBase64(new Uint8Array(64).fill(7)) })).body['code']).toBe(
        'enrolment_cms_malformed',
      );
      const r = await complete(p, d.id, {
        signature: toBase64(new Uint8Array(256)),
        certificate: toBase64(new Uint8Array([1, 2, 3])),
      });
      expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_certificate_malformed' } });
      expect((await complete(p, d.id, { cms: 'AAAA', signature: 'AAAA' })).body['code']).toBe(
        'enrolment_request_invalid',
      );
      expect((await complete(p, 'nope', { cms: 'AAAA' })).body['code']).toBe('enrolment_not_found');
      // Found by the fuzz suite: lengths no base64 has (RFC 4648 §4) were a 500 from atob.
      for (const body of [{ cms: 'A' }, { cms: 'AAAAA' }, { cms: '-' }, { cms: 'AAAA', consentCms: 'A=' }])
        expect(await complete(p, d.id, body)).toMatchObject({
          status: 400,
          body: { code: 'enrolment_request_invalid' },
        });
    });

    it('fail-not-a-jpki-certificate', async () => {
      const d = await issue(p);
      const key = ws.write('other.key', '');
      ws.ok([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-subj',
        '/C=JP/O=Example/CN=someone',
        '-days',
        '2',
        '-outform',
        'DER',
        '-out',
        join(ws.dir, 'other.der'),
      ]);
      const docPath = ws.write('doc.bin', d.bytes);
      ws.ok(['dgst', '-sha256', '-sign', key, '-out', join(ws.dir, 'doc.sig'), docPath]);
      const { readFileSync } = await import('node:fs');
      const r = await complete(p, d.id, {
        signature: toBase64(readFileSync(join(ws.dir, 'doc.sig'))),
        certificate: toBase64(readFileSync(join(ws.dir, 'other.der'))),
      });
      expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_not_jpki_certificate' } });
    });

    it('fail-wrong-key-usage-and-policy-user-auth-certificate', async () => {
      const h = await newResident(sim);
      const d = await issue(p);
      const raw = await h.rawAuth(d.bytes);
      const r = await complete(p, d.id, {
        signature: toBase64(raw.signature),
        certificate: toBase64(raw.certificate),
      });
      expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_certificate_profile' } });
    });

    it('fail-wrong-chain-same-dn-other-keys', async () => {
      const stranger = await newResident(other);
      const d = await issue(p);
      const r = await complete(p, d.id, await cmsBody(stranger, d.bytes));
      expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_certificate_chain' } });
    });

    it('fail-simulator-root-in-production', async () => {
      const prod = await platform(t, {}, { trust: await JpkiTrustStore.production() });
      try {
        const h = await newResident(sim);
        const d = await issue(prod);
        const r = await complete(prod, d.id, await cmsBody(h, d.bytes));
        expect(r).toMatchObject({ status: 400, body: { code: 'enrolment_simulator_root_in_production' } });
      } finally {
        await prod.close();
      }
      // The production trust store itself refuses simulator roots.
      const simRoot = trust.anchors('sign')[0]!.der;
      const err = await failCode(JpkiTrustStore.production({ roots: [simRoot] }));
      expect(err).toBe('trust_root_unpinned');
    });

    it('fail-expired-certificate', async () => {
      const h = await newResident(sim);
      const d = await issue(p);
      const body = await cmsBody(h, d.bytes);
      const cert = parseCertificate((await h.raw(d.bytes)).certificate);
      p.setNow(new Date(cert.notAfter.getTime() + 86_400_000));
      try {
        expect(await complete(p, d.id, body)).toMatchObject({
          status: 400,
          body: { code: 'enrolment_certificate_expired' },
        });
      } finally {
        p.setNow(sim.clock.now());
      }
    });

    it('fail-revoked-and-on-hold', async () => {
      const moved = await newResident(sim);
      const d1 = await issue(p);
      const b1 = await cmsBody(moved, d1.bytes); // signed before the move
      await sim.s.sim.lifeEvent(moved.residentId, { type: 'move', reissue: false });
      const lost = await newResident(sim);
      const d2 = await issue(p);
      const b2 = await cmsBody(lost, d2.bytes);
      await sim.s.sim.lifeEvent(lost.residentId, { type: 'lose' });
      sim.s.sim.refreshOcsp();
      expect(await complete(p, d1.id, b1)).toMatchObject({
        status: 403,
        body: { code: 'enrolment_certificate_revoked' },
      });
      expect(await complete(p, d2.id, b2)).toMatchObject({
        status: 403,
        body: { code: 'enrolment_certificate_on_hold' },
      });
    });

    it('fail-enrolment-after-a-revocation-is-refused-even-with-a-cached-good-answer', async () => {
      const h = await newResident(sim);
      const d1 = await issue(p);
      expect((await complete(p, d1.id, await cmsBody(h, d1.bytes))).status).toBe(200);
      // J-LIS learns of the loss inside the cache window of the good answer just obtained.
      await sim.s.sim.lifeEvent(h.residentId, { type: 'lose' });
      sim.s.sim.refreshOcsp();
      const d2 = await issue(p);
      expect(await complete(p, d2.id, await cmsBody(h, d2.bytes))).toMatchObject({
        status: 403,
        body: { code: 'enrolment_certificate_on_hold' },
      });
    });

    it('fail-ocsp-unavailable-under-hard-fail-ok-under-soft-fail', async () => {
      const h = await newResident(sim);
      const down = createJpkiBackend(
        { kind: 'simulator', url: 'http://127.0.0.1:9', operatorId: OPERATOR },
        { timeoutMs: 2000 },
      );
      const hard = await platform(t, {}, { backend: down });
      const soft = await platform(t, { revocationPolicy: 'soft-fail' }, { backend: down });
      try {
        const d = await issue(hard);
        expect(await complete(hard, d.id, await cmsBody(h, d.bytes))).toMatchObject({
          status: 503,
          body: { code: 'enrolment_revocation_unavailable' },
        });
        const d2 = await issue(soft);
        const r = await complete(soft, d2.id, await cmsBody(h, d2.bytes));
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body['proofingLevel']).toBe(2);
      } finally {
        await hard.close();
        await soft.close();
      }
    });

    it('fail-oversized-body', async () => {
      const d = await issue(p);
      const big = toBase64(new Uint8Array(40 * 1024));
      const r = await complete(p, d.id, { cms: big });
      expect(r.body['code']).toBe('enrolment_body_too_large');
      const huge = await p.app.inject({
        method: 'POST',
        url: `/api/enrolments/${d.id}/complete`,
        payload: { cms: 'A'.repeat(70_000) },
      });
      expect(huge.statusCode).toBe(413);
    });
  });
});
