// Integration: cross-origin access to the hosted cards (src/http/cors.ts) over real HTTP, as a
// browser would send it: preflight, then the request with `Origin`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWatashiError } from '@watashi/pki';
import { createSimulator, fixedClock, parseConfig, type RunningSimulator } from '../src/index.ts';

const WALLET = 'http://localhost:8780';
const OTHER = 'http://evil.example';
/** SELECT the JPKI AP (docs/jpki.md §3.1). */
const SELECT_JPKI_AP = '00A4040C0AD392F000260100000001';

let s: RunningSimulator;
let base = '';
let dir = '';
let cardId = '';

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const preflight = (path: string, origin: string, method: string, requestHeaders?: string) =>
  call('OPTIONS', path, {
    origin,
    'access-control-request-method': method,
    ...(requestHeaders === undefined ? {} : { 'access-control-request-headers': requestHeaders }),
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jlis-sim-cors-'));
  s = await createSimulator(
    { dataDir: dir, port: 0, seed: 'cors', schedule: false, logLevel: 'silent', cardOrigins: [WALLET] },
    { clock: fixedClock(new Date('2026-05-01T00:00:00Z')) },
  );
  base = await s.listen();
  const r = await s.sim.addResident({ name: '山田　花子', birthDate: '1988-04-12', sex: '2' });
  cardId = (await s.sim.issueCard(r.id, { signPin: 'ABC123', authPin: '1234' })).card.tokenId;
});

afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('ok-default-is-same-origin-only', () => {
    expect(parseConfig({ dataDir: dir }).cardOrigins).toEqual([]);
  });

  it('fail-origins-must-be-bare-origins', () => {
    for (const bad of [
      'http://localhost:8780/',
      'http://localhost:8780/wallet',
      '*',
      'ftp://x.example',
      'localhost',
    ]) {
      let err: unknown;
      try {
        parseConfig({ dataDir: dir, cardOrigins: [bad] });
      } catch (e) {
        err = e;
      }
      expect(isWatashiError(err, 'config_invalid'), bad).toBe(true);
    }
  });
});

describe('allowed origin', () => {
  it('ok-preflight-then-apdu', async () => {
    const p = await preflight(`/cards/${cardId}/apdu`, WALLET, 'POST', 'content-type');
    expect(p.status).toBe(204);
    expect(p.headers.get('access-control-allow-origin')).toBe(WALLET);
    expect(p.headers.get('access-control-allow-methods')).toBe('POST');
    expect(p.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(Number(p.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(p.headers.get('vary')).toMatch(/Origin/);
    expect(p.headers.get('access-control-allow-credentials')).toBeNull();

    const r = await call(
      'POST',
      `/cards/${cardId}/apdu`,
      { origin: WALLET, 'content-type': 'application/json' },
      JSON.stringify({ apdu: SELECT_JPKI_AP }),
    );
    expect(r.status).toBe(200);
    expect(r.json['rapdu']).toBe('9000');
    expect(r.headers.get('access-control-allow-origin')).toBe(WALLET);
    expect(r.headers.get('vary')).toMatch(/Origin/);
  });

  it('ok-session-preflight-lists-both-methods', async () => {
    const p = await preflight(`/cards/${cardId}/session`, WALLET, 'DELETE');
    expect(p.status).toBe(204);
    expect(p.headers.get('access-control-allow-methods')).toBe('DELETE, POST');
    const r = await call('DELETE', `/cards/${cardId}/session`, { origin: WALLET });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(WALLET);
  });

  it('ok-problems-are-readable-cross-origin', async () => {
    const r = await call(
      'POST',
      '/cards/cd-nosuchcard0/apdu',
      { origin: WALLET, 'content-type': 'application/json' },
      JSON.stringify({ apdu: SELECT_JPKI_AP }),
    );
    expect(r.status).toBe(404);
    expect(r.json['code']).toBe('card_not_found');
    expect(r.headers.get('access-control-allow-origin')).toBe(WALLET);
  });

  it('ok-card-list', async () => {
    const r = await call('GET', '/cards', { origin: WALLET });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(WALLET);
    expect(r.json['cards']).toContainEqual(
      expect.objectContaining({
        id: cardId,
        kind: 'card',
        status: 'active',
        holder: '山田　花子',
        signing: true,
      }),
    );
  });

  it('fail-method-or-header-not-allowed', async () => {
    const m = await preflight(`/cards/${cardId}/apdu`, WALLET, 'PUT');
    expect(m.status).toBe(403);
    expect(m.json['code']).toBe('cors_method_not_allowed');
    expect(m.headers.get('access-control-allow-origin')).toBeNull();
    const h = await preflight(`/cards/${cardId}/apdu`, WALLET, 'POST', 'content-type, x-operator-id');
    expect(h.status).toBe(403);
    expect(h.json['code']).toBe('cors_header_not_allowed');
  });

  it('fail-other-routes-stay-closed', async () => {
    const p = await preflight('/residents', WALLET, 'GET');
    expect(p.status).toBe(404);
    expect(p.headers.get('access-control-allow-origin')).toBeNull();
    const r = await call('GET', '/residents', { origin: WALLET });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const e = await preflight(`/cards/${cardId}/export`, WALLET, 'POST', 'content-type');
    expect(e.status).toBe(404);
  });
});

describe('refused origin', () => {
  it('fail-preflight-and-request-refused', async () => {
    const p = await preflight(`/cards/${cardId}/apdu`, OTHER, 'POST', 'content-type');
    expect(p.status).toBe(403);
    expect(p.json['code']).toBe('origin_not_allowed');
    expect(p.headers.get('access-control-allow-origin')).toBeNull();
    // A "simple" request needs no preflight: the simulator refuses it before the card sees it.
    const r = await call('POST', `/cards/${cardId}/session`, { origin: OTHER });
    expect(r.status).toBe(403);
    expect(r.json['code']).toBe('origin_not_allowed');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const l = await call('GET', '/cards', { origin: OTHER });
    expect(l.status).toBe(403);
  });
});

describe('no or own origin', () => {
  it('ok-without-origin-as-before', async () => {
    const r = await call(
      'POST',
      `/cards/${cardId}/apdu`,
      { 'content-type': 'application/json' },
      JSON.stringify({ apdu: SELECT_JPKI_AP }),
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('ok-same-origin-page', async () => {
    const r = await call('POST', `/cards/${cardId}/session`, { origin: new URL(base).origin });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
