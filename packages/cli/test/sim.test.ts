// `watashi sim …` in process against an in-process simulator over real HTTP; CRLs checked by openssl.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfoDocument, RunningSimulator } from '@watashi/jlis-sim';
import type { IssuedToken, ResidentView } from '@watashi/jlis-sim';
import { capture, cleanup, closedPort, json, run, startSim, tempDir, until } from './helpers.ts';
import { main } from '../src/main.ts';

let s: RunningSimulator;
let url = '';
let dataDir = '';
const sim = (...argv: string[]) => run('--sim', url, 'sim', ...argv);

beforeAll(async () => {
  ({ s, url, dataDir } = await startSim());
});
afterAll(async () => {
  await s.close();
  cleanup();
});

async function addAdult(): Promise<string> {
  const r = await sim('resident', 'add', '--birth', '1980-04-01', '--json');
  expect(r.code, r.err).toBe(0);
  return json<{ id: string }>(r).id;
}

type Issued = { card?: IssuedToken; device?: IssuedToken };

describe('sim info', () => {
  it('ok-json-and-human', async () => {
    const r = await sim('info', '--json');
    expect(r.code, r.err).toBe(0);
    const info = json<InfoDocument>(r);
    expect(info.baseUrl).toBe(url);
    expect(info.crls).toHaveLength(6);
    expect(info.caCertificates.map((c) => `${c.purpose}/${c.generation}`).sort()).toEqual([
      'auth/2015',
      'auth/2019',
      'auth/2023',
      'sign/2015',
      'sign/2019',
      'sign/2023',
    ]);
    const human = await sim('info');
    expect(human.out).toContain(`${url}/ocsp`);
    expect(human.out).toMatch(/CA CERTIFICATE URL/);
  });

  it('fail-unreachable-exit-7', async () => {
    const r = await run('--sim', `http://127.0.0.1:${String(await closedPort())}`, 'sim', 'info');
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/cannot reach the simulator .*\[sim_unreachable\]/);
  });

  it('fail-bad-sim-url-usage-exit-2', async () => {
    const r = await run('--sim', 'ftp://example', 'sim', 'info');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/expected an http or https URL/);
  });
});

describe('sim resident', () => {
  it('ok-add-given-fields-show-list', async () => {
    const add = await sim(
      'resident',
      'add',
      '--name',
      '山田\u3000花子',
      '--kana',
      'ヤマダ\u3000ハナコ',
      '--address',
      '東京都千代田区千代田１－１',
      '--birth',
      '1990-02-03',
      '--sex',
      'female',
      '--json',
    );
    expect(add.code, add.err).toBe(0);
    const r = json<ResidentView>(add);
    expect(r).toMatchObject({
      name: '山田\u3000花子',
      nameKana: 'ヤマダ\u3000ハナコ',
      address: '東京都千代田区千代田１－１',
      birthDate: '1990-02-03',
      sex: '2',
      status: 'resident',
      tokens: [],
    });

    const show = await sim('resident', 'show', r.id);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/name\s+山田\u3000花子 \(ヤマダ\u3000ハナコ\)/);
    expect(show.out).toMatch(/sex\s+female/);
    expect(show.out).toContain('tokens: none');
    expect(json<ResidentView>(await sim('resident', 'show', r.id, '--json')).id).toBe(r.id);

    const list = await sim('resident', 'list', '--json');
    expect(json<ResidentView[]>(list).map((x) => x.id)).toContain(r.id);
    const human = await sim('resident', 'list');
    expect(human.out.split('\n')[0]).toMatch(/^ID\s+STATUS\s+BIRTH DATE\s+ACTIVE TOKENS\s+NAME$/);
    expect(human.out).toContain(r.id);
  });

  it('ok-add-generated-human', async () => {
    const r = await sim('resident', 'add');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^id\s+r-[a-z0-9]+$/m);
    expect(r.out).toMatch(/^birth date\s+\d{4}-\d{2}-\d{2}$/m);
  });

  it('ok-add-count-with-progress', async () => {
    const saved = process.env['WATASHI_PROGRESS'];
    process.env['WATASHI_PROGRESS'] = 'always';
    try {
      const r = await sim('resident', 'add', '--count', '3', '--birth', '2000-01-01', '--json');
      expect(r.code, r.err).toBe(0);
      const added = json<ResidentView[]>(r);
      expect(added).toHaveLength(3);
      expect(new Set(added.map((x) => x.id)).size).toBe(3);
      expect(added.every((x) => x.birthDate === '2000-01-01')).toBe(true);
      expect(r.err).toMatch(/adding residents .*3\/3/);
    } finally {
      if (saved === undefined) delete process.env['WATASHI_PROGRESS'];
      else process.env['WATASHI_PROGRESS'] = saved;
    }
  });

  it('fail-unknown-resident-exit-5', async () => {
    const r = await sim('resident', 'show', 'r-zzzz9999');
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/\[resident_not_found\]/);
    expect((await sim('resident', 'events', 'r-zzzz9999')).code).toBe(5);
  });

  it('fail-bad-usage-exit-2', async () => {
    for (const argv of [
      ['resident', 'add', '--birth', '1990-02-30'],
      ['resident', 'add', '--sex', 'x'],
      ['resident', 'add', '--count', '0'],
      ['resident', 'show'],
      ['resident', 'show', 'a', 'b'],
      ['resident', 'frobnicate'],
    ]) {
      const r = await sim(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/error: /);
    }
  });
});

describe('sim card issue', () => {
  it('ok-card-with-pins-human-and-json', async () => {
    const id = await addAdult();
    const r = await sim('card', 'issue', id, '--sign-pin', 'ABC123', '--auth-pin', '1234', '--json');
    expect(r.code, r.err).toBe(0);
    const { card, device } = json<Issued>(r);
    expect(device).toBeUndefined();
    expect(card).toMatchObject({ kind: 'card', signPin: 'ABC123', authPin: '1234', generation: '2023' });
    expect(card?.signSerial).toMatch(/^\d+$/);

    const again = await sim('card', 'issue', id, '--generation', '2019');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/^card\s+c-[a-z0-9]+ \(card, generation 2019, expires/m);
    expect(again.out).toMatch(/^ {2}auth PIN\s+\d{4}$/m);
    expect(again.out).toContain('(the PINs are shown once)');
    // Reissuing supersedes the previous card's certificates.
    const shown = json<ResidentView>(await sim('resident', 'show', id, '--json'));
    const old = shown.certificates.filter((c) => c.tokenId === card?.tokenId);
    expect(old.map((c) => c.reason)).toEqual(['superseded', 'superseded']);
  });

  it('ok-under-15-no-signing-certificate', async () => {
    const young = json<{ id: string }>(
      await sim('resident', 'add', '--birth', `${String(new Date().getUTCFullYear() - 10)}-01-01`, '--json'),
    ).id;
    const r = await sim('card', 'issue', young, '--auth-pin', '4321');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/signing certificate\s+none \(holder under 15\)/);
  });

  it('ok-smartphone-then-duplicate-refused-exit-8-then-replace', async () => {
    const id = await addAdult();
    expect((await sim('card', 'issue', id)).code).toBe(0);
    const phone = await sim('card', 'issue', id, '--kind', 'smartphone', '--os', 'ios', '--json');
    expect(phone.code, phone.err).toBe(0);
    expect(json<Issued>(phone).device?.kind).toBe('ios');
    const dup = await sim('card', 'issue', id, '--kind', 'smartphone');
    expect(dup.code).toBe(8);
    expect(dup.err).toMatch(/\[smartphone_already_issued\]/);
    const replaced = await sim('card', 'issue', id, '--kind', 'smartphone', '--replace', '--json');
    expect(replaced.code, replaced.err).toBe(0);
    expect(json<Issued>(replaced).device?.kind).toBe('android');
  });

  it('ok-card-with-smartphone', async () => {
    const id = await addAdult();
    const r = await sim('card', 'issue', id, '--with-smartphone', '--os', 'android', '--json');
    expect(r.code, r.err).toBe(0);
    const issued = json<Issued>(r);
    expect(issued.card?.kind).toBe('card');
    expect(issued.device?.kind).toBe('android');
    // The spelling: --smartphone ios, with the PINs given.
    const other = await addAdult();
    const ios = await sim(
      'card',
      'issue',
      other,
      '--sign-pin',
      'ABC123',
      '--auth-pin',
      '1234',
      '--smartphone',
      'ios',
      '--json',
    );
    expect(ios.code, ios.err).toBe(0);
    expect(json<Issued>(ios).device?.kind).toBe('ios');
    expect((await sim('card', 'issue', other, '--smartphone', 'ios', '--kind', 'smartphone')).code).toBe(2);
  });

  it('fail-unknown-resident-exit-5-and-bad-usage-exit-2', async () => {
    const r = await sim('card', 'issue', 'r-zzzz9999');
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/\[resident_not_found\]/);
    expect((await sim('card', 'issue', 'r-zzzz9999', '--kind', 'tablet')).code).toBe(2);
    expect(
      (await sim('card', 'issue', 'r-zzzz9999', '--kind', 'smartphone', '--generation', '2019')).code,
    ).toBe(2);
    expect((await sim('card', 'issue', 'r-zzzz9999', '--replace')).code).toBe(2);
  });

  it('fail-bad-pin-format-exit-3', async () => {
    const id = await addAdult();
    const r = await sim('card', 'issue', id, '--auth-pin', '12');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/\[pin_format\]/);
  });
});

describe('sim event', () => {
  it('ok-move-revokes-and-reissues-then-events-listed', async () => {
    const id = await addAdult();
    const issued = json<Issued>(await sim('card', 'issue', id, '--json')).card;
    const r = await sim('event', 'move', id, '--address', '大阪府大阪市北区梅田１－１', '--json');
    expect(r.code, r.err).toBe(0);
    const e = json<{ type: string; effects: Array<{ serial: string; effect: string }> }>(r);
    expect(e.type).toBe('move');
    expect(e.effects).toContainEqual(
      expect.objectContaining({ serial: issued?.signSerial, effect: 'revoked:affiliationChanged' }),
    );
    expect(e.effects.some((x) => x.effect === 'issued')).toBe(true);
    expect(json<ResidentView>(await sim('resident', 'show', id, '--json')).address).toBe(
      '大阪府大阪市北区梅田１－１',
    );

    const lose = await sim('event', 'lose', id);
    expect(lose.code, lose.err).toBe(0);
    expect(lose.out).toMatch(/^SERIAL\s+PURPOSE\s+EFFECT$/m);
    expect(lose.out).toMatch(/\s+hold$/m);

    const events = await sim('resident', 'events', id);
    expect(events.out).toMatch(/\s+move\s+/);
    expect(events.out).toMatch(/\s+lose\s+/);
  });

  it('ok-marriage-without-reissue', async () => {
    const id = await addAdult();
    await sim('card', 'issue', id);
    const r = await sim('event', 'marriage', id, '--name', '佐藤\u3000一郎', '--no-reissue', '--json');
    expect(r.code, r.err).toBe(0);
    const e = json<{ effects: Array<{ effect: string }> }>(r);
    expect(e.effects.map((x) => x.effect)).toEqual(['revoked:affiliationChanged']);
  });

  it('fail-not-living-exit-8-unknown-exit-5-usage-exit-2', async () => {
    const id = await addAdult();
    expect((await sim('event', 'death', id)).code).toBe(0);
    const again = await sim('event', 'move', id);
    expect(again.code).toBe(8);
    expect(again.err).toMatch(/\[resident_not_living\]/);
    expect((await sim('event', 'move', 'r-zzzz9999')).code).toBe(5);
    expect((await sim('event', 'explode', id)).code).toBe(2);
    expect((await sim('event', 'move', id, '--name', 'x')).code).toBe(2);
    expect((await sim('event', 'death', id, '--no-reissue')).code).toBe(2);
    const noCard = await addAdult();
    const lose = await sim('event', 'lose', noCard);
    expect(lose.code).toBe(8);
    expect(lose.err).toMatch(/\[no_active_card\]/);
  });
});

describe('sim crl publish, ocsp refresh, fees', () => {
  it('ok-publish-downloads-crls-that-list-the-revocation', async () => {
    const id = await addAdult();
    const card = json<Issued>(await sim('card', 'issue', id, '--json')).card;
    await sim('event', 'move', id);
    const out = join(tempDir(), 'crls');
    const saved = process.env['WATASHI_PROGRESS'];
    process.env['WATASHI_PROGRESS'] = 'always';
    let r;
    try {
      r = await sim('crl', 'publish', '--out', out, '--json');
    } finally {
      if (saved === undefined) delete process.env['WATASHI_PROGRESS'];
      else process.env['WATASHI_PROGRESS'] = saved;
    }
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/downloading sign-2023\.crl .*100%/);
    const { published } = json<{
      published: Array<{ purpose: string; generation: string; entries: number; file: string; bytes: number }>;
    }>(r);
    expect(published).toHaveLength(6);
    const sign2023 = published.find((p) => p.purpose === 'sign' && p.generation === '2023');
    expect(sign2023?.entries).toBeGreaterThanOrEqual(1);
    const file = sign2023?.file ?? '';
    expect(readFileSync(file).length).toBe(sign2023?.bytes);
    // openssl is the independent check: the revoked signing certificate is listed, as affiliationChanged.
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'], {
      encoding: 'utf8',
    });
    const hex = BigInt(card?.signSerial ?? '0')
      .toString(16)
      .toUpperCase();
    expect(text).toMatch(
      new RegExp(
        `Serial Number: 0*${hex}\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Affiliation Changed`,
      ),
    );

    const human = await sim('crl', 'publish');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^PURPOSE\s+GENERATION\s+CRL NUMBER\s+ENTRIES$/m);
  });

  it('ok-ocsp-refresh-and-fees', async () => {
    const r = await sim('ocsp', 'refresh', '--json');
    expect(r.code, r.err).toBe(0);
    const d = json<{ refreshedAt: string; nextUpdate: string }>(r);
    expect(Date.parse(d.nextUpdate) - Date.parse(d.refreshedAt)).toBe(900_000);
    expect((await sim('ocsp', 'refresh')).out).toMatch(/^next update\s+/m);

    // CRL downloads are metered (free).
    await sim('crl', 'publish', '--out', join(tempDir(), 'c'));
    const fees = await sim('fees', '--json');
    expect(fees.code, fees.err).toBe(0);
    const report = json<{ rows: Array<{ item: string; count: number; yen: number }> }>(fees);
    expect(report.rows.find((x) => x.item === 'crl')?.count).toBeGreaterThanOrEqual(4);
    expect((await sim('fees')).out).toMatch(/^total: \d+ queries, ¥0$/m);
    expect((await sim('fees', '--month', '2020-13')).code).toBe(2);
  });
});

describe('sim serve', () => {
  it('ok-json-then-sigint-stops-and-releases-the-data-dir', async () => {
    const dir = tempDir('watashi-cli-serve-');
    const c = capture();
    let done: Promise<number>;
    try {
      done = main([
        'node',
        'watashi',
        'sim',
        'serve',
        '--port',
        '0',
        '--data-dir',
        dir,
        '--seed',
        'serve-test',
        '--log-level',
        'silent',
        '--json',
      ]);
      await until(() => c.out().endsWith('}\n'));
      const started = JSON.parse(c.out()) as {
        url: string;
        seed: string;
        dataDir: string;
        info: InfoDocument;
      };
      expect(started.seed).toBe('serve-test');
      expect(started.dataDir).toBe(dir);
      const info = (await (await fetch(`${started.url}/info`)).json()) as InfoDocument;
      expect(info.baseUrl).toBe(started.url);
      expect(existsSync(join(dir, 'sim.lock'))).toBe(true);
      process.emit('SIGINT');
      expect(await done).toBe(0);
      expect(c.err()).toContain('SIGINT, stopping the simulator');
    } finally {
      c.restore();
    }
    expect(existsSync(join(dir, 'sim.lock'))).toBe(false);

    // Restarted on the same data dir: the banner this time, and the state (seed) kept; SIGTERM stops it.
    const c2 = capture();
    try {
      const again = main([
        'node',
        'watashi',
        'sim',
        'serve',
        '--port',
        '0',
        '--data-dir',
        dir,
        '--log-level',
        'silent',
      ]);
      await until(() => /seed {9}serve-test/.test(c2.out()));
      expect(c2.out()).toContain(
        'J-LIS SIMULATOR — NOT the Japan Agency for Local Authority Information Systems.',
      );
      expect(c2.out()).toMatch(/base URL {5}http:\/\/127\.0\.0\.1:\d+/);
      process.emit('SIGTERM');
      expect(await again).toBe(0);
    } finally {
      c2.restore();
    }
  });

  it('fail-data-dir-in-use-exit-8', async () => {
    const r = await run('sim', 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent');
    expect(r.code).toBe(8);
    expect(r.err).toMatch(/in use by process .*\[data_dir_locked\]/);
  });

  it('fail-port-in-use-exit-8-and-lock-released', async () => {
    const dir = tempDir('watashi-cli-serve-');
    const port = new URL(url).port;
    const r = await run('sim', 'serve', '--port', port, '--data-dir', dir, '--log-level', 'silent');
    expect(r.code).toBe(8);
    expect(r.err).toMatch(/port \d+ on 127\.0\.0\.1 is in use .*\[sim_port_in_use\]/);
    expect(existsSync(join(dir, 'sim.lock'))).toBe(false);
  });

  it('fail-config-unknown-key-exit-3-and-bad-port-exit-2', async () => {
    const file = join(tempDir(), 'sim.json');
    writeFileSync(file, JSON.stringify({ colour: 'blue' }));
    const r = await run('sim', 'serve', '--config', file, '--data-dir', tempDir());
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/colour.*\[config_invalid\]/);
    expect((await run('sim', 'serve', '--port', '70000')).code).toBe(2);
    const missing = await run('sim', 'serve', '--config', join(tempDir(), 'none.json'));
    expect(missing.code).toBe(5);
  });

  it('ok-help-lists-configuration-keys', async () => {
    const r = await run('sim', 'serve', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--data-dir <dir>/);
    expect(r.out).toMatch(/Configuration keys \(--config\):\n {2}dataDir — /);
    expect(r.out).toMatch(/Global Options:\n {2}--sim <url>/);
  });
});
