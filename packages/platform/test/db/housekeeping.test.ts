// Housekeeping on both engines: expired challenges, enrolment nonces and cross-device requests past
// their grace, expired oidc-provider models and expired signing preparations are deleted;
// everything still usable is left alone and still works.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { consumeChallenge, issueChallenge } from '../../src/authn/challenges.ts';
import { runHousekeeping } from '../../src/store/housekeeping.ts';
import { jsonb } from '../../src/store/json.ts';
import { forEachEngine } from './harness.ts';
import { hash32, insertAccount } from './rows.ts';

const T = new Date('2026-12-01T03:00:00Z');
const at = (seconds: number): Date => new Date(T.getTime() + seconds * 1000);

forEachEngine((t) => {
  it('ok-deletes-only-what-expired-and-leaves-live-rows-usable', async () => {
    const stale = await issueChallenge(t.db, { purpose: 'passkey_authentication', now: at(0) });
    const live = await issueChallenge(t.db, { purpose: 'passkey_authentication', now: at(200) });
    await t.db
      .insertInto('kv')
      .values({ key: 'setting:unrelated', value: jsonb({ expiresAt: at(-9999).toISOString() }) })
      .execute();
    const nonce = (expires: Date) => ({
      nonce: new Uint8Array(randomBytes(32)),
      document_hash: hash32(),
      created_at: at(-200_000),
      expires_at: expires,
    });
    await t.db
      .insertInto('enrolment_nonces')
      .values([nonce(at(-2 * 86_400)), nonce(at(-3600)), nonce(at(600))])
      .execute();
    const model = (id: string, expires: Date | null) => ({
      model: 'Session',
      id,
      payload: jsonb({ id }),
      expires_at: expires,
    });
    await t.db
      .insertInto('oidc_models')
      .values([model('gone', at(-1)), model('kept', at(3600)), model('forever', null)])
      .execute();

    const crossDevice = (id: string, expires: Date) => ({
      id,
      token_hash: hash32(),
      browser_hash: hash32(),
      interaction_uid: 'uid',
      client_id: 'client',
      number: 42,
      choices: '17 42 88',
      nonce: 'n',
      origin_network: null,
      origin_user_agent: null,
      created_at: new Date(expires.getTime() - 120_000),
      expires_at: expires,
      scanned_at: null,
      decided_at: null,
      used_at: null,
      account_id: null,
      device_serial: null,
    });
    const [oldId, recentId] = [randomUUID(), randomUUID()];
    await t.db
      .insertInto('cross_device_requests')
      .values([crossDevice(oldId, at(-2 * 86_400)), crossDevice(recentId, at(-60))])
      .execute();

    const accountId = await insertAccount(t.db);
    const session = await t.db
      .insertInto('sessions')
      .values({
        token_hash: hash32(),
        account_id: accountId,
        auth_time: at(0),
        expires_at: at(3600),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const preparation = (id: string, expires: Date, consumed: Date | null) => ({
      id,
      account_id: accountId,
      session_id: session.id,
      format: 'pades' as const,
      algorithm: 'RSA-SHA256' as const,
      signing_time: at(0),
      document_sha256: hash32(),
      to_be_signed: new Uint8Array([0x31, 0]),
      key_id: 'k',
      nonce: new Uint8Array(12),
      sealed: consumed ? null : new Uint8Array(32),
      created_at: at(0),
      expires_at: expires,
      consumed_at: consumed,
    });
    await t.db
      .insertInto('signing_preparations')
      .values([
        preparation('00000000-0000-4000-8000-000000000001', at(300), null),
        preparation('00000000-0000-4000-8000-000000000002', at(300), at(10)),
        preparation('00000000-0000-4000-8000-000000000003', at(500), null),
      ])
      .execute();

    const r = await runHousekeeping(t.db, at(400));
    expect(r).toEqual({
      challenges: 1,
      enrolmentNonces: 1,
      oidcModels: 1,
      crossDevice: 1,
      signingPreparations: 2,
    });
    // A request expired a minute ago is kept (a late poll still hears "expired").
    const left = await t.db.selectFrom('cross_device_requests').select('id').execute();
    expect(left.map((x) => x.id)).toEqual([recentId]);

    // The live challenge is still there and consumable; the stale one is simply unknown.
    await expect(
      consumeChallenge(t.db, { challenge: live.challenge, purpose: 'passkey_authentication', now: at(400) }),
    ).resolves.toEqual({ accountId: null });
    await expect(
      consumeChallenge(t.db, { challenge: stale.challenge, purpose: 'passkey_authentication', now: at(400) }),
    ).rejects.toMatchObject({ code: 'authn_challenge_unknown' });
    expect(
      await t.db.selectFrom('kv').select('key').where('key', '=', 'setting:unrelated').execute(),
    ).toHaveLength(1);
    const nonces = await t.db.selectFrom('enrolment_nonces').select('expires_at').execute();
    expect(nonces.map((n) => n.expires_at.getTime()).sort()).toEqual([
      at(-3600).getTime(),
      at(600).getTime(),
    ]);
    const models = await t.db.selectFrom('oidc_models').select('id').orderBy('id').execute();
    expect(models.map((m) => m.id)).toEqual(['forever', 'kept']);
    const preparations = await t.db.selectFrom('signing_preparations').select('id').execute();
    expect(preparations.map((x) => x.id)).toEqual(['00000000-0000-4000-8000-000000000003']);

    // Idempotent: a second run finds nothing.
    expect(await runHousekeeping(t.db, at(400))).toEqual({
      challenges: 0,
      enrolmentNonces: 0,
      oidcModels: 0,
      crossDevice: 0,
      signingPreparations: 0,
    });
  });
});
