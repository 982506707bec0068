import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { jsonb } from '../../src/store/json.ts';
import { classifyNonce, consumeNonce } from '../../src/store/nonces.ts';
import { forEachEngine } from './harness.ts';
import { anchorRow, hash32, insertAccount } from './rows.ts';

const violation = (error: unknown) => error as { code?: string; constraint?: string };

forEachEngine((t) => {
  it('fail-anchor-issuer-serial-unique', async () => {
    const a = await insertAccount(t.db);
    const b = await insertAccount(t.db);
    const first = anchorRow(a);
    await t.db.insertInto('anchors').values(first).execute();
    // The same certificate (issuer key + serial) can never anchor a second account.
    const error = await t.db
      .insertInto('anchors')
      .values(anchorRow(b, { issuer_key_hash: first.issuer_key_hash, serial: first.serial }))
      .execute()
      .catch((e: unknown) => e);
    expect(violation(error).code).toBe('23505');
    // Same serial from another CA generation (another key, same DN) is a different certificate.
    await t.db
      .insertInto('anchors')
      .values(anchorRow(b, { issuer_name_hash: first.issuer_name_hash, serial: first.serial }))
      .execute();
  });

  it('ok-20-octet-serial-exact', async () => {
    const a = await insertAccount(t.db);
    const serial = (2n ** 159n + 12345678901234567890123n).toString(); // RFC 5280 §4.1.2.2 maximum size
    await t.db.insertInto('anchors').values(anchorRow(a, { serial })).execute();
    const row = await t.db
      .selectFrom('anchors')
      .select('serial')
      .where('account_id', '=', a)
      .where('serial', '=', serial)
      .executeTakeFirstOrThrow();
    expect(row.serial).toBe(serial);
    const fractional = await t.db
      .insertInto('anchors')
      .values(anchorRow(a, { serial: '1.5', variant: 'smartphone' }))
      .execute()
      .catch((e: unknown) => e);
    expect(violation(fractional).code).toBe('23514');
  });

  it('ok-re-anchoring-in-one-transaction', async () => {
    const a = await insertAccount(t.db);
    const old = anchorRow(a);
    await t.db.insertInto('anchors').values(old).execute();
    // Second current anchor of the same purpose/variant is refused…
    const dup = await t.db
      .insertInto('anchors')
      .values(anchorRow(a))
      .execute()
      .catch((e: unknown) => e);
    expect(violation(dup).code).toBe('23505');
    // …but superseding the old one and inserting the new one in one transaction works.
    const next = anchorRow(a);
    const at = new Date('2027-01-01T00:00:00Z');
    await t.database.transaction(async (trx) => {
      await trx
        .updateTable('anchors')
        .set({ superseded_by: next.id ?? null, superseded_at: at })
        .where('id', '=', old.id ?? '')
        .execute();
      await trx.insertInto('anchors').values(next).execute();
    });
    const current = await t.db
      .selectFrom('anchors')
      .select('id')
      .where('account_id', '=', a)
      .where('superseded_by', 'is', null)
      .execute();
    expect(current).toEqual([{ id: next.id }]);
    // The deferred foreign key still holds at commit.
    const dangling = await t.database
      .transaction((trx) =>
        trx
          .updateTable('anchors')
          .set({ superseded_by: randomUUID(), superseded_at: at })
          .where('id', '=', next.id ?? '')
          .execute(),
      )
      .catch((e: unknown) => e);
    expect(violation(dangling).code).toBe('23503');
  });

  it('fail-check-constraints', async () => {
    const a = await insertAccount(t.db);
    const bad = [
      () =>
        t.db
          .updateTable('accounts')
          .set({ status: 'deleted' as 'closed' })
          .where('id', '=', a)
          .execute(),
      () => t.db.updateTable('accounts').set({ proofing_level: 2 }).where('id', '=', a).execute(), // no proofed_at
      () =>
        t.db
          .insertInto('anchors')
          .values(anchorRow(a, { status: 'revoked' }))
          .execute(), // no revoked_at
      () =>
        t.db
          .insertInto('accounts')
          .values({ person_key: new Uint8Array(3), person_key_id: 'k' })
          .execute(),
    ];
    for (const run of bad) expect(violation(await run().catch((e: unknown) => e)).code).toBe('23514');
  });

  it('fail-authenticator-credential-id-unique-and-one-live-per-slot', async () => {
    const a = await insertAccount(t.db);
    const credentialId = new Uint8Array(randomBytes(16));
    const base = {
      account_id: a,
      type: 'device_cert' as const,
      public_key: hash32(),
      device_slot: 'phone-1',
    };
    const first = await t.db
      .insertInto('authenticators')
      .values({ ...base, credential_id: credentialId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sameCredential = await t.db
      .insertInto('authenticators')
      .values({ ...base, device_slot: 'phone-2', credential_id: credentialId })
      .execute()
      .catch((e: unknown) => e);
    expect(violation(sameCredential).code).toBe('23505');
    // 二重発行の防止 (docs/architecture.md §3.5): a second live credential for the slot is refused…
    const sameSlot = await t.db
      .insertInto('authenticators')
      .values({ ...base, credential_id: hash32() })
      .execute()
      .catch((e: unknown) => e);
    expect(violation(sameSlot).code).toBe('23505');
    // …until the first is revoked.
    await t.db
      .updateTable('authenticators')
      .set({ revoked_at: new Date() })
      .where('id', '=', first.id)
      .execute();
    await t.db
      .insertInto('authenticators')
      .values({ ...base, credential_id: hash32() })
      .execute();
  });

  it('ok-nonce-single-use-under-concurrency', async () => {
    const nonce = new Uint8Array(randomBytes(32));
    const documentHash = hash32();
    const now = new Date('2026-03-01T00:00:00Z');
    await t.db
      .insertInto('enrolment_nonces')
      .values({
        nonce,
        document_hash: documentHash,
        created_at: now,
        expires_at: new Date(now.getTime() + 600_000),
      })
      .execute();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        consumeNonce(t.db, { nonce, purpose: 'enrolment', documentHash, now }),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'used')).toHaveLength(19);
  });

  it('ok-nonce-refusals-say-why', async () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const documentHash = hash32();
    const fresh = new Uint8Array(randomBytes(16));
    const stale = new Uint8Array(randomBytes(16));
    await t.db
      .insertInto('enrolment_nonces')
      .values([
        {
          nonce: fresh,
          document_hash: documentHash,
          created_at: now,
          expires_at: new Date(now.getTime() + 60_000),
        },
        {
          nonce: stale,
          document_hash: documentHash,
          created_at: new Date(now.getTime() - 120_000),
          expires_at: new Date(now.getTime() - 60_000),
        },
      ])
      .execute();
    // One classifier: asking without consuming (enrolment, before the signature is verified) and
    // consuming give the same reason for every refusal.
    const ask = async (nonce: Uint8Array, over: Partial<Parameters<typeof consumeNonce>[1]> = {}) => {
      const input = { nonce, purpose: 'enrolment' as const, documentHash, now, ...over };
      const peeked = await classifyNonce(t.db, input);
      const consumed = await consumeNonce(t.db, input);
      expect(peeked).toBe(consumed);
      return consumed;
    };
    expect(await ask(new Uint8Array(randomBytes(16)))).toBe('unknown');
    expect(await ask(stale)).toBe('expired');
    expect(await ask(fresh, { documentHash: hash32() })).toBe('document_mismatch');
    expect(await ask(fresh, { purpose: 'consent' })).toBe('wrong_purpose');
    // Classifying does not consume: a fresh nonce is still there to be consumed once.
    expect(await classifyNonce(t.db, { nonce: fresh, purpose: 'enrolment', documentHash, now })).toBe('ok');
    expect(await ask(fresh)).toBe('ok');
    expect(await ask(fresh)).toBe('used');
  });

  it('ok-nonce-burned-only-if-the-transaction-commits', async () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const nonce = new Uint8Array(randomBytes(16));
    const documentHash = hash32();
    await t.db
      .insertInto('enrolment_nonces')
      .values({
        nonce,
        document_hash: documentHash,
        created_at: now,
        expires_at: new Date(now.getTime() + 60_000),
      })
      .execute();
    await t.database
      .transaction(async (trx) => {
        expect(await consumeNonce(trx, { nonce, purpose: 'enrolment', documentHash, now })).toBe('ok');
        throw new Error('enrolment failed later');
      })
      .catch(() => undefined);
    expect(await consumeNonce(t.db, { nonce, purpose: 'enrolment', documentHash, now })).toBe('ok');
  });

  it('ok-types-identical-on-both-engines', async () => {
    const a = await insertAccount(t.db);
    const credentialId = new Uint8Array([0, 1, 2, 255]);
    const row = await t.db
      .insertInto('authenticators')
      .values({
        account_id: a,
        type: 'passkey',
        credential_id: credentialId,
        public_key: Buffer.from([9, 9]),
        sign_count: 4294967295n,
        transports: ['usb', 'nfc'],
        aaguid: '00000000-0000-0000-0000-000000000000',
        last_used_at: new Date('2026-05-05T05:05:05.123Z'),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(Object.getPrototypeOf(row.credential_id)).toBe(Uint8Array.prototype); // not a Buffer
    expect(row.credential_id).toEqual(credentialId);
    expect(Object.getPrototypeOf(row.public_key)).toBe(Uint8Array.prototype);
    expect(row.sign_count).toBe(4294967295n);
    expect(row.transports).toEqual(['usb', 'nfc']);
    expect(row.last_used_at).toEqual(new Date('2026-05-05T05:05:05.123Z'));
    expect(row.backup_eligible).toBe(false);
    expect(typeof row.id).toBe('string');
    const key = `types-${randomUUID()}`;
    const value = { list: [1, 'a', null, { b: true }], big: 2 ** 53 - 1, text: '住所は書かない' };
    await t.db
      .insertInto('kv')
      .values({ key, value: jsonb(value) })
      .execute();
    const kv = await t.db.selectFrom('kv').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    expect(kv.value).toEqual(value);
    const { count } = await t.db
      .selectFrom('kv')
      .select((eb) => eb.fn.countAll<bigint>().as('count'))
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    expect(count).toBe(1n);
  });
});
