// The oidc-provider adapter on both engines: the behaviour of oidc-provider's reference memory
// adapter (expiry, consume, uid and user-code lookups, revocation by grant), plus the atomic
// consume that turns a racing second consume of a code into invalid_grant and a revoked grant.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AdapterPayload } from 'oidc-provider';
import {
  cacheFound,
  KyselyOidcAdapter,
  OidcModelStore,
  purgeExpiredOidcModels,
} from '../../src/oidc/adapter.ts';
import { forEachEngine } from '../db/harness.ts';
import { insertAccount } from '../db/rows.ts';

forEachEngine((t) => {
  let now = new Date('2026-12-01T00:00:00Z');
  const clients = new Map<string, AdapterPayload>();
  const adapter = (model: string) =>
    new KyselyOidcAdapter(model, {
      db: t.db,
      now: () => now,
      findClient: (id) => Promise.resolve(clients.get(id)),
    });

  describe('rows', () => {
    it('ok-upsert-find-update-destroy', async () => {
      const a = adapter('AccessToken');
      const id = randomUUID();
      await a.upsert(
        id,
        { jti: id, grantId: 'g1', accountId: 'acc', scope: 'openid', exp: 1, x: undefined },
        60,
      );
      expect(await a.find(id)).toEqual({ jti: id, grantId: 'g1', accountId: 'acc', scope: 'openid', exp: 1 });
      await a.upsert(id, { jti: id, grantId: 'g1', scope: 'openid profile' }, 60);
      expect((await a.find(id))?.scope).toBe('openid profile');
      // Another model with the same id is another row.
      expect(await adapter('RefreshToken').find(id)).toBeUndefined();
      await a.destroy(id);
      expect(await a.find(id)).toBeUndefined();
    });

    it('ok-expired-rows-are-not-found-and-purged', async () => {
      const a = adapter('Interaction');
      const id = randomUUID();
      await a.upsert(id, { jti: id }, 10);
      expect(await a.find(id)).toBeDefined();
      now = new Date(now.getTime() + 11_000);
      expect(await a.find(id)).toBeUndefined();
      expect(await purgeExpiredOidcModels(t.db, now)).toBeGreaterThanOrEqual(1);
      const left = await t.db.selectFrom('oidc_models').select('id').where('id', '=', id).execute();
      expect(left).toEqual([]);
    });

    it('ok-no-ttl-means-no-expiry', async () => {
      const a = adapter('Grant');
      const id = randomUUID();
      await a.upsert(id, { jti: id, accountId: 'x' });
      now = new Date(now.getTime() + 365 * 86_400_000);
      expect(await a.find(id)).toMatchObject({ accountId: 'x' });
    });

    it('ok-session-find-by-uid', async () => {
      const a = adapter('Session');
      const id = randomUUID();
      const uid = randomUUID();
      await a.upsert(id, { jti: id, uid, accountId: 'acc' }, 600);
      expect(await a.findByUid(uid)).toMatchObject({ jti: id, accountId: 'acc' });
      expect(await a.findByUid(randomUUID())).toBeUndefined();
      // Identifier rotation: oidc-provider destroys the old id, then saves under a new one.
      await a.destroy(id);
      const id2 = randomUUID();
      await a.upsert(id2, { jti: id2, uid, accountId: 'acc' }, 600);
      expect(await a.findByUid(uid)).toMatchObject({ jti: id2 });
    });

    it('ok-find-by-user-code', async () => {
      const a = adapter('DeviceCode');
      const id = randomUUID();
      await a.upsert(id, { jti: id, userCode: 'ABCD-EFGH' }, 600);
      expect(await a.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: id });
    });
  });

  describe('consume and revoke', () => {
    it('ok-consume-marks-payload', async () => {
      const a = adapter('AuthorizationCode');
      const id = randomUUID();
      await a.upsert(id, { jti: id, grantId: randomUUID() }, 60);
      await a.consume(id);
      const found = await a.find(id);
      expect(found?.consumed).toBe(Math.floor(now.getTime() / 1000));
      const row = await t.db
        .selectFrom('oidc_models')
        .select(['consumed_at', 'payload'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.consumed_at).toEqual(now);
      // Only the column is written (an in-place update); `consumed` is added when read.
      expect(row.payload).not.toHaveProperty('consumed');
      expect(await a.findByUserCode('none')).toBeUndefined();
    });

    it('fail-second-consume-of-a-code-is-invalid-grant-and-revokes-the-grant', async () => {
      const grantId = randomUUID();
      const code = adapter('AuthorizationCode');
      const at = adapter('AccessToken');
      const id = randomUUID();
      const tokenId = randomUUID();
      await code.upsert(id, { jti: id, grantId }, 60);
      await at.upsert(tokenId, { jti: tokenId, grantId }, 60);
      const results = await Promise.allSettled([code.consume(id), code.consume(id)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected');
      expect((failed as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
      expect(await at.find(tokenId)).toBeUndefined();
    });

    it('ok-consume-of-a-non-one-time-model-is-idempotent', async () => {
      const a = adapter('PushedAuthorizationRequest');
      const id = randomUUID();
      await a.upsert(id, { jti: id }, 60);
      await a.consume(id);
      await a.consume(id);
      expect((await a.find(id))?.consumed).toBeTypeOf('number');
    });

    it('ok-revoke-by-grant-id-only-touches-that-model-and-grant', async () => {
      const g1 = randomUUID();
      const g2 = randomUUID();
      const at = adapter('AccessToken');
      const rt = adapter('RefreshToken');
      const [a1, a2, r1] = [randomUUID(), randomUUID(), randomUUID()];
      await at.upsert(a1, { jti: a1, grantId: g1 }, 60);
      await at.upsert(a2, { jti: a2, grantId: g2 }, 60);
      await rt.upsert(r1, { jti: r1, grantId: g1 }, 60);
      await at.revokeByGrantId(g1);
      expect(await at.find(a1)).toBeUndefined();
      expect(await at.find(a2)).toBeDefined();
      expect(await rt.find(r1)).toBeDefined();
    });
  });

  describe('batched across concurrent requests', () => {
    const shared = () => {
      const store = new OidcModelStore(t.db, () => now);
      const of = (model: string) =>
        new KyselyOidcAdapter(model, {
          db: t.db,
          now: () => now,
          findClient: () => Promise.resolve(undefined),
          store,
        });
      return { store, of };
    };

    it('ok-concurrent-finds-go-together-and-each-gets-its-own-row', async () => {
      const { store, of } = shared();
      const at = of('AccessToken');
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await at.upsert(id, { jti: id, n: ids.indexOf(id) }, 60);
      const before = store.stats.finds.batches;
      const missing = randomUUID();
      const found = await Promise.all([...ids, missing].map((id) => at.find(id)));
      expect(found.map((f) => f?.['n'])).toEqual([0, 1, 2, 3, 4, undefined]);
      // The first went at once, the other five together.
      expect(store.stats.finds.batches - before).toBe(2);
      // The same id in another model is another row, in the same batch as well.
      const [x, y] = await Promise.all([at.find(ids[0]!), of('RefreshToken').find(ids[0]!)]);
      expect(x?.['n']).toBe(0);
      expect(y).toBeUndefined();
    });

    it('fail-two-consumes-of-one-code-in-one-batch-one-wins-the-other-is-a-replay', async () => {
      const { store, of } = shared();
      const code = of('AuthorizationCode');
      const [other, id, tokenId, grantId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await code.upsert(other, { jti: other, grantId: randomUUID() }, 60);
      await code.upsert(id, { jti: id, grantId }, 60);
      await of('AccessToken').upsert(tokenId, { jti: tokenId, grantId }, 60);
      const before = store.stats.consumes.batches;
      // `other` goes at once; the two consumes of `id` wait for it and go together.
      const results = await Promise.allSettled([code.consume(other), code.consume(id), code.consume(id)]);
      expect(store.stats.consumes.batches - before).toBe(2);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
      // The replay revoked what the code's grant produced.
      expect(await of('AccessToken').find(tokenId)).toBeUndefined();
    });

    it('fail-a-bad-row-in-a-batch-of-saves-fails-alone', async () => {
      const { store, of } = shared();
      const at = of('AccessToken');
      const [first, good1, good2] = [randomUUID(), randomUUID(), randomUUID()];
      const tooLong = 'x'.repeat(600); // oidc_models.id is at most 512 characters
      const before = store.stats.upserts.batches;
      const results = await Promise.allSettled([
        at.upsert(first, { jti: first }, 60),
        at.upsert(good1, { jti: good1 }, 60),
        at.upsert(tooLong, { jti: 'x' }, 60),
        at.upsert(good2, { jti: good2 }, 60),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      // first, the batch of three that failed, then each of the three alone.
      expect(store.stats.upserts.batches - before).toBe(5);
      expect(await at.find(good1)).toMatchObject({ jti: good1 });
      expect(await at.find(good2)).toMatchObject({ jti: good2 });
    });

    it('ok-saves-of-one-row-in-one-batch-the-later-call-wins', async () => {
      const { of } = shared();
      const g = of('Grant');
      const [first, id] = [randomUUID(), randomUUID()];
      await Promise.all([
        g.upsert(first, { jti: first }),
        g.upsert(id, { jti: id, v: 1 }),
        g.upsert(id, { jti: id, v: 2 }),
      ]);
      expect((await g.find(id))?.['v']).toBe(2);
    });

    it('ok-a-token-brings-its-grant-and-account-once-and-a-save-drops-them', async () => {
      const { store, of } = shared();
      const accountId = await insertAccount(t.db);
      const [grantId, rt] = [randomUUID(), randomUUID()];
      const grants = of('Grant');
      await grants.upsert(grantId, { jti: grantId, accountId, v: 1 });
      await of('RefreshToken').upsert(rt, { jti: rt, grantId, accountId }, 60);
      const finds = store.stats.finds.batches;
      expect(await of('RefreshToken').find(rt)).toMatchObject({ jti: rt });
      // The grant and the account came with the token: no statement of their own.
      expect(await grants.find(grantId)).toMatchObject({ v: 1 });
      expect(await store.account(accountId)).toEqual({ id: accountId, status: 'live' });
      expect(store.readAheadHits.count).toBe(2);
      expect(store.stats.finds.batches - finds).toBe(1);
      expect(store.stats.accounts.batches).toBe(0);
      // Taken once: the next ask reads the database.
      expect(await grants.find(grantId)).toMatchObject({ v: 1 });
      expect(await store.account(accountId)).toEqual({ id: accountId, status: 'live' });
      expect(store.readAheadHits.count).toBe(2);
      expect(store.stats.accounts.batches).toBe(1);
      // A save of the grant after the token was found drops what was read ahead of it.
      await of('RefreshToken').find(rt);
      await grants.upsert(grantId, { jti: grantId, accountId, v: 2 });
      expect(await grants.find(grantId)).toMatchObject({ v: 2 });
      // A status change made elsewhere is seen by the next token found.
      await t.db.updateTable('accounts').set({ status: 'suspended' }).where('id', '=', accountId).execute();
      await of('RefreshToken').find(rt);
      expect(await store.account(accountId)).toEqual({ id: accountId, status: 'suspended' });
    });

    it('ok-a-requests-new-tokens-are-held-back-and-written-together-at-its-end', async () => {
      const { store, of } = shared();
      const [at, rt, grantId] = [randomUUID(), randomUUID(), randomUUID()];
      const stored = async (id: string) =>
        (await t.db.selectFrom('oidc_models').select('id').where('id', '=', id).execute()).length;
      const before = store.stats.upserts.batches;
      const flushes = store.stats.flushes.batches;
      const result = await store.deferringSaves(async () => {
        await of('RefreshToken').upsert(rt, { jti: rt, grantId, v: 1 }, 60);
        await of('RefreshToken').upsert(rt, { jti: rt, grantId, v: 2 }, 60); // replaces the first
        await of('AccessToken').upsert(at, { jti: at, grantId }, 60);
        // Anything else is written at once.
        await of('Grant').upsert(grantId, { jti: grantId });
        expect(await stored(grantId)).toBe(1);
        expect(await stored(rt)).toBe(0);
        expect(await stored(at)).toBe(0);
        return 'response';
      });
      expect(result).toBe('response');
      // The grant's statement, then one for both tokens.
      expect(store.stats.upserts.batches - before).toBe(1);
      expect(store.stats.flushes.batches - flushes).toBe(1);
      expect(await of('RefreshToken').find(rt)).toMatchObject({ v: 2 });
      expect(await of('AccessToken').find(at)).toMatchObject({ jti: at });
      // Outside a request, saves are written at once again.
      const later = randomUUID();
      await of('AccessToken').upsert(later, { jti: later }, 60);
      expect(await stored(later)).toBe(1);
    });

    it('ok-a-requests-consumption-is-held-back-with-its-new-tokens', async () => {
      const { store, of } = shared();
      const [old, next, grantId] = [randomUUID(), randomUUID(), randomUUID()];
      await of('RefreshToken').upsert(old, { jti: old, grantId }, 60);
      const consumedAt = async () =>
        (
          await t.db
            .selectFrom('oidc_models')
            .select('consumed_at')
            .where('id', '=', old)
            .executeTakeFirstOrThrow()
        ).consumed_at;
      const flushes = store.stats.flushes.batches;
      await store.deferringSaves(async () => {
        await of('RefreshToken').consume(old);
        await of('RefreshToken').upsert(next, { jti: next, grantId }, 60);
        expect(await consumedAt()).toBeNull();
      });
      expect(await consumedAt()).toEqual(now);
      expect(await of('RefreshToken').find(old)).toMatchObject({
        consumed: Math.floor(now.getTime() / 1000),
      });
      expect(await of('RefreshToken').find(next)).toMatchObject({ jti: next });
      expect(store.stats.flushes.batches - flushes).toBe(1);
      expect(store.stats.consumes.batches).toBe(0);
      // A model a token request does not present is consumed at once.
      const par = randomUUID();
      await of('PushedAuthorizationRequest').upsert(par, { jti: par }, 60);
      await store.deferringSaves(async () => {
        await of('PushedAuthorizationRequest').consume(par);
        expect(await of('PushedAuthorizationRequest').find(par)).toHaveProperty('consumed');
      });
    });

    it('fail-requests-racing-with-one-refresh-token-one-wins-the-others-are-replays', async () => {
      const { store, of } = shared();
      const [first, rt, grantId] = [randomUUID(), randomUUID(), randomUUID()];
      await of('RefreshToken').upsert(first, { jti: first, grantId: randomUUID() }, 60);
      await of('RefreshToken').upsert(rt, { jti: rt, grantId }, 60);
      // Each request consumes its refresh token and saves a new one (of another grant here, so
      // that what the losers would have written is not removed by the grant's revocation).
      const request = (presented: string) => {
        const issued = randomUUID();
        const done = store.deferringSaves(async () => {
          await of('RefreshToken').consume(presented);
          await of('RefreshToken').upsert(issued, { jti: issued, grantId: randomUUID() }, 60);
          return issued;
        });
        return { issued, done };
      };
      // `first` goes at once; the three with `rt` wait for it and go together.
      const requests = [request(first), request(rt), request(rt), request(rt)];
      const results = await Promise.allSettled(requests.map((r) => r.done));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      for (const r of results.slice(2))
        expect((r as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
      const stored = async (id: string) =>
        (await t.db.selectFrom('oidc_models').select('id').where('id', '=', id).execute()).length;
      expect(await Promise.all(requests.map((r) => stored(r.issued)))).toEqual([1, 1, 0, 0]);
      // The replay revoked the grant of the refresh token used twice.
      expect(await stored(rt)).toBe(0);
      expect(await stored(first)).toBe(1);
    });

    it('fail-a-request-whose-refresh-token-was-used-meanwhile-writes-nothing-and-is-a-replay', async () => {
      const { store, of } = shared();
      const [rt, issued, grantId, otherGrant] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await of('RefreshToken').upsert(rt, { jti: rt, grantId }, 60);
      let release!: () => void;
      const paused = new Promise<void>((r) => (release = r));
      const request = store.deferringSaves(async () => {
        await of('RefreshToken').consume(rt);
        await of('RefreshToken').upsert(issued, { jti: issued, grantId: otherGrant }, 60);
        await paused;
      });
      // Another request (another platform instance, say) consumes it first, in the database.
      await new KyselyOidcAdapter('RefreshToken', {
        db: t.db,
        now: () => now,
        findClient: () => Promise.resolve(undefined),
      }).consume(rt);
      release();
      await expect(request).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await of('RefreshToken').find(issued)).toBeUndefined();
      expect(await of('RefreshToken').find(rt)).toBeUndefined();
    });

    it('ok-a-row-consumed-and-saved-in-one-batch-is-consumed-then-saved', async () => {
      const { store, of } = shared();
      const [code, grantId] = [randomUUID(), randomUUID()];
      await of('AuthorizationCode').upsert(code, { jti: code, grantId }, 60);
      // The same id in two models is two rows: one statement.
      await store.deferringSaves(async () => {
        await of('AuthorizationCode').consume(code);
        await of('RefreshToken').upsert(code, { jti: code, grantId, v: 2 }, 60);
      });
      expect(await of('AuthorizationCode').find(code)).toHaveProperty('consumed');
      // One row consumed and saved by the same request: consumed first, then saved (a save
      // without `consumed` clears it, as it would have unbatched), not a failed statement.
      await store.deferringSaves(async () => {
        await of('RefreshToken').consume(code);
        await of('RefreshToken').upsert(code, { jti: code, grantId, v: 3 }, 60);
      });
      const saved = await of('RefreshToken').find(code);
      expect(saved).toMatchObject({ v: 3 });
      expect(saved).not.toHaveProperty('consumed');
    });

    it('fail-a-request-that-throws-writes-none-of-its-held-tokens', async () => {
      const { store, of } = shared();
      const at = randomUUID();
      const failed = await store
        .deferringSaves(async () => {
          await of('AccessToken').upsert(at, { jti: at }, 60);
          throw new Error('the request failed');
        })
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ message: 'the request failed' });
      expect(await of('AccessToken').find(at)).toBeUndefined();
    });

    it('fail-held-tokens-that-cannot-be-written-fail-the-request', async () => {
      const { store, of } = shared();
      const at = randomUUID();
      const failed = await store
        .deferringSaves(async () => {
          await of('AccessToken').upsert(at, { jti: at }, 60);
          await of('RefreshToken').upsert('x'.repeat(600), { jti: 'x' }, 60); // id too long
          return 'response';
        })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      // Other requests' writes are not held by this store's requests, nor by another store's.
      const other = shared();
      const id = randomUUID();
      await store.deferringSaves(async () => {
        await other.of('AccessToken').upsert(id, { jti: id }, 60);
        expect(await other.of('AccessToken').find(id)).toMatchObject({ jti: id });
      });
    });

    it('ok-read-ahead-is-dropped-after-its-time', async () => {
      const { store, of } = shared();
      const [grantId, code] = [randomUUID(), randomUUID()];
      await of('Grant').upsert(grantId, { jti: grantId, v: 1 });
      await of('AuthorizationCode').upsert(code, { jti: code, grantId, accountId: 'not-a-uuid' }, 60);
      await of('AuthorizationCode').find(code); // a malformed accountId reads no account, fails nothing
      await t.db
        .updateTable('oidc_models')
        .set({ payload: sql`payload || '{"v":3}'::jsonb` })
        .where('id', '=', grantId)
        .execute();
      await new Promise((r) => setTimeout(r, 2100));
      expect(await of('Grant').find(grantId)).toMatchObject({ v: 3 });
      expect(store.readAheadHits.count).toBe(0);
    });
  });

  describe('clients', () => {
    it('ok-client-model-reads-the-registry-function', async () => {
      clients.set('rp-1', { client_id: 'rp-1', redirect_uris: ['https://rp.example/cb'] });
      expect(await adapter('Client').find('rp-1')).toMatchObject({ client_id: 'rp-1' });
      expect(await adapter('Client').find('rp-2')).toBeUndefined();
    });

    it('fail-client-upsert-is-refused', async () => {
      await expect(adapter('Client').upsert('x', { client_id: 'x' })).rejects.toThrow(TypeError);
    });

    it('fail-bad-model-name', () => {
      expect(() => adapter('Bad Model')).toThrow(TypeError);
    });
  });
});

describe('client cache', () => {
  it('ok-found-clients-are-kept-for-the-ttl-then-asked-again', async () => {
    let clock = 0;
    const registry = new Map<string, { id: string }>([['a', { id: 'a' }]]);
    const asked: string[] = [];
    const find = cacheFound(
      (id) => {
        asked.push(id);
        return Promise.resolve(registry.get(id));
      },
      2000,
      () => clock,
    );
    expect(await find('a')).toEqual({ id: 'a' });
    clock = 1999;
    expect(await find('a')).toEqual({ id: 'a' });
    expect(asked).toEqual(['a']);
    // Removed from the registry: still served until the entry lapses, then refused.
    registry.delete('a');
    expect(await find('a')).toEqual({ id: 'a' });
    clock = 2000;
    expect(await find('a')).toBeUndefined();
    expect(asked).toEqual(['a', 'a']);
  });

  it('ok-unknown-ids-and-failures-are-never-kept', async () => {
    const registry = new Map<string, { id: string }>();
    let fail = true;
    let calls = 0;
    const find = cacheFound(
      (id) => {
        calls++;
        if (id === 'boom' && fail) return Promise.reject(new Error('db down'));
        return Promise.resolve(registry.get(id));
      },
      60_000,
      () => 0,
    );
    expect(await find('new')).toBeUndefined();
    registry.set('new', { id: 'new' }); // registered a moment later: seen at once
    expect(await find('new')).toEqual({ id: 'new' });
    await expect(find('boom')).rejects.toThrow('db down');
    fail = false;
    registry.set('boom', { id: 'boom' });
    expect(await find('boom')).toEqual({ id: 'boom' });
    expect(calls).toBe(4);
  });
});
