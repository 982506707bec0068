import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestInfo, fromBase64, fromHex, toHex } from '@watashi/pki';
import { VirtualJpkiCard, generateCardKeyPair } from './virtual-card.ts';
import type { VirtualJpkiCardOptions } from './virtual-card.ts';
import { createHash } from 'node:crypto';

const JPKI = '00a4040c0ad392f000260100000001';
const TEXT_AP = '00a4040c0ad392100031000101040' + '8';
const sel = (fid: string): string => `00a4020c02${fid}`;
const verifyHex = (pin: string): string =>
  `00200080${pin.length.toString(16).padStart(2, '0')}${Buffer.from(pin, 'ascii').toString('hex')}`;

/** A DER-looking blob `30 82 LL LL …` of `total` bytes with a recognisable pattern. */
function fakeCert(total: number, seed: number): Uint8Array {
  const b = new Uint8Array(total);
  b.set([0x30, 0x82, (total - 4) >> 8, (total - 4) & 0xff]);
  for (let i = 4; i < total; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

let signJwk: JsonWebKey;
let authJwk: JsonWebKey;
let authSpki: Uint8Array;
const certs = {
  sign: fakeCert(1400, 1),
  signCa: fakeCert(900, 2),
  auth: fakeCert(1200, 3),
  authCa: fakeCert(880, 4),
};

beforeAll(async () => {
  signJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'jwk',
  });
  const pair = await generateCardKeyPair();
  authJwk = pair.privateJwk;
  authSpki = pair.spki;
});

function makeCard(over: Partial<VirtualJpkiCardOptions> = {}): VirtualJpkiCard {
  return new VirtualJpkiCard({
    kind: 'card',
    signCertificate: certs.sign,
    signCaCertificate: certs.signCa,
    authCertificate: certs.auth,
    authCaCertificate: certs.authCa,
    signKey: signJwk,
    authKey: authJwk,
    signPin: 'ABC123',
    authPin: '1234',
    ...over,
  });
}

/** Sends hex APDUs in order and returns the hex responses. */
async function run(card: VirtualJpkiCard, ...apdus: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of apdus) out.push(toHex(await card.transmit(fromHex(a))));
  return out;
}
const sw = (r: string[]): string[] => r.map((x) => x.slice(-4));

describe('applications and files (docs/jpki.md §3.1–§3.2)', () => {
  it('ok-selects the JPKI AP with P2=0C and returns no FCI', async () => {
    expect(await run(makeCard(), JPKI)).toEqual(['9000']);
  });
  it('fail-unknown AID, FCI request and bad P1 are refused', async () => {
    const c = makeCard();
    expect(
      sw(await run(c, '00a4040c05a000000003', '00a404000ad392f000260100000001', '00a4080c02000a')),
    ).toEqual(['6a82', '6a86', '6a86']);
  });
  it('fail-the text AP selects but exposes no file (the My Number is not modelled)', async () => {
    const c = makeCard();
    expect(sw(await run(c, TEXT_AP, sel('0001'), sel('0002'), sel('0011'), sel('0006')))).toEqual([
      '9000',
      '6a82',
      '6a82',
      '6a82',
      '6a82',
    ]);
  });
  it('fail-an EF select before any AP is file not found', async () => {
    expect(sw(await run(makeCard(), sel('000a')))).toEqual(['6a82']);
  });
  it('ok-every JPKI EF is selectable and unknown ones are not', async () => {
    const fids = ['0001', '0002', '0006', '0008', '000a', '000b', '0017', '0018', '001a', '001b'];
    expect(sw(await run(makeCard(), JPKI, ...fids.map(sel), sel('0003'), sel('0011')))).toEqual([
      '9000',
      ...fids.map(() => '9000'),
      '6a82',
      '6a82',
    ]);
  });
  it('ok-EF 0006 holds the token name per device and EF 0008 is 8F 8F 00', async () => {
    for (const [kind, token] of [
      ['card', 'JPKIAPICCTOKEN2'],
      ['android', 'JPKIAPGPSETOKEN'],
      ['ios', 'JPKIAPIOSTOKEN'],
    ] as const) {
      const [, , tok] = await run(makeCard({ kind }), JPKI, sel('0006'), '00b0000000');
      const text = Buffer.from(fromHex(tok!.slice(0, -4))).toString('ascii');
      expect(text).toBe(token.padEnd(32, ' '));
    }
    expect((await run(makeCard(), JPKI, sel('0008'), '00b0000000'))[2]).toBe('8f8f009000');
  });
  it('ok-a card without signing certificate (under 15) has no signing EFs', async () => {
    const c = makeCard({ signCertificate: undefined, signKey: undefined, signPin: undefined });
    expect(sw(await run(c, JPKI, sel('0001'), sel('001a'), sel('001b'), sel('000a')))).toEqual([
      '9000',
      '6a82',
      '6a82',
      '6a82',
      '9000',
    ]);
    expect((await run(c, sel('0008'), '00b0000000'))[1]).toBe('008f009000');
    expect(c.exportState().keys.sign).toBeUndefined();
  });
});

describe('access rules', () => {
  it('fail-EF 0001 needs the signing password; ok after VERIFY; re-SELECT of the AP clears it', async () => {
    const c = makeCard();
    const r = await run(
      c,
      JPKI,
      sel('0001'),
      '00b0000004',
      sel('001b'),
      verifyHex('ABC123'),
      sel('0001'),
      '00b0000004',
      JPKI,
      sel('0001'),
      '00b0000004',
    );
    expect(r).toEqual([
      '9000',
      '9000',
      '6982',
      '9000',
      '9000',
      '9000',
      '30820574' + '9000',
      '9000',
      '9000',
      '6982',
    ]);
  });
  it('fail-the auth PIN does not open EF 0001', async () => {
    const r = await run(makeCard(), JPKI, sel('0018'), verifyHex('1234'), sel('0001'), '00b0000004');
    expect(sw(r)).toEqual(['9000', '9000', '9000', '9000', '6982']);
  });
  it('ok-on a card EF 000A is free; on android and ios it needs the auth PIN', async () => {
    expect(sw(await run(makeCard(), JPKI, sel('000a'), '00b0000004'))).toEqual(['9000', '9000', '9000']);
    for (const kind of ['android', 'ios'] as const) {
      const r = await run(
        makeCard({ kind }),
        JPKI,
        sel('000a'),
        '00b0000004',
        sel('0018'),
        verifyHex('1234'),
        sel('000a'),
        '00b0000004',
      );
      expect(sw(r)).toEqual(['9000', '9000', '6982', '9000', '9000', '9000', '9000']);
    }
  });
  it('ok-a reset clears the security status', async () => {
    const c = makeCard();
    await run(c, JPKI, sel('001b'), verifyHex('ABC123'));
    c.reset();
    expect(sw(await run(c, sel('0001'), JPKI, sel('0001'), '00b0000004'))).toEqual([
      '6a82',
      '9000',
      '9000',
      '6982',
    ]);
  });
  it('ok-READ BINARY returns at most Ne bytes, the tail at the end, 6B00 past the end', async () => {
    const c = makeCard();
    const [, , full, tail, past] = await run(c, JPKI, sel('000b'), '00b0000000', '00b0036000', '00b0037000');
    expect(full!.length / 2 - 2).toBe(256);
    expect(tail!.length / 2 - 2).toBe(880 - 0x360);
    expect(tail!.slice(0, -4)).toBe(toHex(certs.authCa.subarray(0x360)));
    expect(past).toBe('6b00');
  });
});

describe('PIN counters (docs/jpki.md §3.4–§3.5)', () => {
  it('ok-signing password: 5 tries, 63Cx, 63C0 on the last, then 6984 forever', async () => {
    const c = makeCard();
    const wrong = verifyHex('ZZZ999');
    const r = await run(
      c,
      JPKI,
      sel('001b'),
      '00200080',
      wrong,
      wrong,
      '00200080',
      wrong,
      wrong,
      wrong,
      '00200080',
      verifyHex('ABC123'),
      wrong,
    );
    expect(sw(r)).toEqual([
      '9000',
      '9000',
      '63c5',
      '63c4',
      '63c3',
      '63c3',
      '63c2',
      '63c1',
      '63c0',
      '6984',
      '6984',
      '6984',
    ]);
    expect(c.counters.sign).toBe(0);
    // Blocked survives a reset and a new session: counters are the card's state.
    c.reset();
    expect(sw(await run(c, JPKI, sel('001b'), '00200080'))).toEqual(['9000', '9000', '6984']);
  });
  it('ok-auth PIN: 3 tries; a correct PIN resets the counter', async () => {
    const c = makeCard();
    const r = await run(
      c,
      JPKI,
      sel('0018'),
      '00200080',
      verifyHex('0000'),
      verifyHex('0001'),
      verifyHex('1234'),
      '00200080',
    );
    expect(sw(r)).toEqual(['9000', '9000', '63c3', '63c2', '63c1', '9000', '63c3']);
  });
  it('ok-writes moves only when a counter or a PIN changes', async () => {
    const c = makeCard();
    await run(c, JPKI, sel('000a'), '00b0000000', sel('0018'), '00200080', verifyHex('1234'));
    expect(c.writes).toBe(0); // reads, a counter query and a correct PIN at full tries
    await run(c, JPKI, sel('0018'), verifyHex('0000'));
    expect(c.writes).toBe(1);
    await run(c, JPKI, sel('0018'), verifyHex('1234'));
    expect(c.writes).toBe(2); // the correct PIN reset the counter
    await run(c, JPKI, sel('0018'), verifyHex('1234'), '0024018004' + Buffer.from('4321').toString('hex'));
    expect(c.writes).toBe(3);
  });
  it('ok-empty VERIFY never consumes a try', async () => {
    const c = makeCard();
    const r = await run(c, JPKI, sel('0018'), ...Array.from({ length: 10 }, () => '00200080'));
    expect(new Set(sw(r).slice(2))).toEqual(new Set(['63c3']));
  });
  it('ok-counters persist through exportState/fromState, including a blocked PIN', async () => {
    const c = makeCard({ counters: { auth: 1 } });
    await run(c, JPKI, sel('0018'), verifyHex('9999'));
    const copy = VirtualJpkiCard.fromState(
      JSON.parse(JSON.stringify(c.exportState())) as ReturnType<VirtualJpkiCard['exportState']>,
    );
    expect(copy.counters).toEqual({ sign: 5, auth: 0 });
    expect(sw(await run(copy, JPKI, sel('0018'), verifyHex('1234')))).toEqual(['9000', '9000', '6984']);
  });
  it('fail-VERIFY without a PIN EF selected, or with wrong P1/P2 or an Le', async () => {
    const c = makeCard();
    expect(
      sw(
        await run(
          c,
          JPKI,
          verifyHex('1234'),
          sel('000a'),
          verifyHex('1234'),
          sel('0018'),
          '00200180',
          '0020008000',
          '00200081',
        ),
      ),
    ).toEqual(['9000', '6986', '9000', '6986', '9000', '6a86', '6700', '6a86']);
    expect(c.counters.auth).toBe(3);
  });
  it('ok-CHANGE REFERENCE DATA after VERIFY; refused before it and for a malformed new PIN', async () => {
    const c = makeCard();
    const change = (p: string): string =>
      `00240180${p.length.toString(16).padStart(2, '0')}${Buffer.from(p).toString('hex')}`;
    const r = await run(
      c,
      JPKI,
      sel('001b'),
      change('NEW456'),
      verifyHex('ABC123'),
      change('abc123'),
      change('NEWONLY'),
      change('NEW456'),
    );
    expect(sw(r)).toEqual(['9000', '9000', '6982', '9000', '6a80', '6a80', '9000']);
    expect(sw(await run(c, JPKI, sel('001b'), verifyHex('ABC123'), verifyHex('NEW456')))).toEqual([
      '9000',
      '9000',
      '63c4',
      '9000',
    ]);
    expect(c.exportState().pins.sign).toBe('NEW456');
  });
});

describe('COMPUTE DIGITAL SIGNATURE (docs/jpki.md §3.3)', () => {
  const di = (): Uint8Array => digestInfo('SHA-256', createHash('sha256').update('hello').digest());
  const cds = (data: Uint8Array, tail = '00', p1 = '00', p2 = '80'): string =>
    `802a${p1}${p2}${data.length.toString(16).padStart(2, '0')}${toHex(data)}${tail}`;

  it('ok-signs with the auth key after the auth PIN; the signature verifies with node:crypto', async () => {
    const c = makeCard();
    const r = await run(c, JPKI, sel('0018'), verifyHex('1234'), sel('0017'), cds(di()));
    expect(sw(r)).toEqual(['9000', '9000', '9000', '9000', '9000']);
    const sig = fromHex(r[4]!.slice(0, -4));
    expect(sig.length).toBe(256);
    const pub = createPublicKey({ key: Buffer.from(authSpki), format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', Buffer.from('hello'), pub, sig)).toBe(true);
    expect(nodeVerify('sha256', Buffer.from('hellO'), pub, sig)).toBe(false);
  });
  it('ok-signs with the signing key after the signing password (case 3 also accepted)', async () => {
    const c = makeCard();
    const r = await run(c, JPKI, sel('001b'), verifyHex('ABC123'), sel('001a'), cds(di(), ''));
    const pub = createPublicKey({ key: signJwk as NodeJwk, format: 'jwk' });
    expect(nodeVerify('sha256', Buffer.from('hello'), pub, fromHex(r[4]!.slice(0, -4)))).toBe(true);
  });
  it('fail-signature refused without PIN, with the other PIN, without a key EF, with P1≠00, bad length', async () => {
    const c = makeCard();
    expect(sw(await run(c, JPKI, sel('0017'), cds(di())))).toEqual(['9000', '9000', '6982']);
    expect(sw(await run(c, sel('001b'), verifyHex('ABC123'), sel('0017'), cds(di())))).toEqual([
      '9000',
      '9000',
      '9000',
      '6982',
    ]);
    expect(sw(await run(c, sel('0018'), verifyHex('1234'), sel('000a'), cds(di())))).toEqual([
      '9000',
      '9000',
      '9000',
      '6986',
    ]);
    expect(
      sw(
        await run(
          c,
          sel('0017'),
          cds(di(), '00', '01'),
          cds(di(), '00', '00', '97'),
          cds(new Uint8Array(246)),
          '802a008000',
          cds(di(), '80'),
        ),
      ).slice(1),
    ).toEqual(['6a86', '6a86', '6700', '6700', '6700']);
    expect(sw(await run(c, '002a008002aabb00'))).toEqual(['6e00']);
    const r = await run(c, cds(new Uint8Array(245).fill(1)));
    expect(r[0]!.length / 2).toBe(258);
  });
});

describe('GET CHALLENGE (ISO/IEC 7816-4 §11.6.3)', () => {
  it('ok-answers Ne random bytes and 9000, for Ne 1, 8, 255 and 256 (Le = 00)', async () => {
    const c = makeCard();
    for (const [le, n] of [
      ['01', 1],
      ['08', 8],
      ['ff', 255],
      ['00', 256],
    ] as const) {
      const [r] = await run(c, `00840000${le}`);
      expect(r!.length).toBe(2 * n + 4);
      expect(r!.slice(-4)).toBe('9000');
    }
  });
  it('ok-every answer is fresh: 64 challenges of 8 bytes are all different and not constant', async () => {
    const c = makeCard();
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) seen.add((await run(c, '0084000008'))[0]!.slice(0, 16));
    expect(seen.size).toBe(64);
    // 256 bytes use many byte values (a constant or counter filler would not).
    const [big] = await run(c, '0084000000');
    expect(new Set(big!.slice(0, 512).match(/../g)).size).toBeGreaterThan(100);
  });
  it('ok-works before any SELECT and keeps the security status and the current EF', async () => {
    const c = makeCard();
    expect(sw(await run(c, '0084000008'))).toEqual(['9000']);
    await run(c, JPKI, sel('001b'), verifyHex('ABC123'), sel('0001'));
    expect(sw(await run(c, '0084000010', '00b0000004'))).toEqual(['9000', '9000']);
    expect((await run(c, '00b0000004'))[0]).toBe(`${toHex(certs.sign.slice(0, 4))}9000`);
  });
  it('fail-P1/P2 ≠ 00 00 is 6A86; no Le, command data or an extended Le is 6700; CLA 80 is 6E00', async () => {
    const c = makeCard();
    expect(
      sw(
        await run(
          c,
          '0084010008',
          '0084000108',
          '00840000',
          '008400000401020304',
          '00840000040102030408',
          '00840000000100',
          '8084000008',
        ),
      ),
    ).toEqual(['6a86', '6a86', '6700', '6700', '6700', '6700', '6e00']);
  });
});

describe('robustness and key secrecy', () => {
  it('fail-malformed APDUs answer with a status word', async () => {
    const c = makeCard();
    expect(
      sw(await run(c, '', '00', '00a404', '00a4040c0ad392f0', '00a4040c02000a0000ff', '00a4020c0300')),
    ).toEqual(['6700', '6700', '6700', '6700', '6700', '6700']);
    expect(
      sw(
        await run(
          c,
          '00ca000000',
          '00c0000000',
          '10a4040c0ad392f000260100000001',
          JPKI,
          '00b000000400',
          '00b00000',
        ),
      ),
    ).toEqual(['6d00', '6d00', '6e00', '9000', '6700', '6700']);
  });
  it('ok-READ BINARY on key and PIN EFs never returns data', async () => {
    const c = makeCard();
    await run(c, JPKI, sel('0018'), verifyHex('1234'), sel('001b'), verifyHex('ABC123'));
    for (const fid of ['0017', '0018', '001a', '001b']) {
      const r = await run(c, sel(fid), '00b0000000', '00b0010000');
      expect(r).toEqual(['9000', '6981', '6981']);
    }
  });
  it('ok-no sequence of 3000 random APDUs throws or yields key bytes', async () => {
    const c = makeCard();
    const secrets = [signJwk, authJwk].flatMap((k) =>
      (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((f) => toHex(fromBase64(k[f]!)).slice(20, 36)),
    );
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const inss = [0xa4, 0xb0, 0x20, 0x24, 0x2a, 0xb1, 0xca, 0x88, 0x22, 0x84, 0xc0];
    const fids = ['0001', '0002', '0006', '0008', '000a', '000b', '0017', '0018', '001a', '001b'];
    const seen: string[] = [];
    await run(c, JPKI, sel('0018'), verifyHex('1234'), sel('001b'), verifyHex('ABC123'));
    for (let i = 0; i < 3000; i++) {
      let apdu: string;
      const pick = rnd(4);
      if (pick === 0) apdu = sel(fids[rnd(fids.length)]!);
      else if (pick === 1)
        apdu = `00b0${rnd(8).toString(16).padStart(2, '0')}${rnd(256).toString(16).padStart(2, '0')}00`;
      else {
        const len = rnd(12);
        const bytes = [
          rnd(2) ? 0 : 0x80,
          inss[rnd(inss.length)]!,
          rnd(256),
          rnd(256),
          ...Array.from({ length: len }, () => rnd(256)),
        ];
        apdu = toHex(Uint8Array.from(bytes));
      }
      const r = toHex(await c.transmit(fromHex(apdu)));
      expect(r.length).toBeGreaterThanOrEqual(4);
      seen.push(r);
    }
    const all = seen.join('|');
    for (const s of secrets) expect(all.includes(s)).toBe(false);
    // The JWK of the state is the card's storage; exportState is not an APDU and APDUs never reach it.
    expect(JSON.stringify(c.exportState())).toContain(signJwk.d);
  });
  it('ok-onApdu sees each command and response', async () => {
    const log: string[] = [];
    const c = makeCard({ onApdu: (cmd, res) => log.push(`${toHex(cmd)}>${toHex(res)}`) });
    await run(c, JPKI, '00ff0000');
    expect(log).toEqual([`${JPKI}>9000`, '00ff0000>6d00']);
  });
  it('fail-inconsistent construction is a caller bug; a bad state is card_state_invalid', () => {
    expect(() => makeCard({ signPin: undefined })).toThrow(TypeError);
    expect(() => makeCard({ authPin: '12345' })).toThrow(RangeError);
    expect(() => makeCard({ signPin: 'ABCDEF' })).toThrow(RangeError);
    expect(() => makeCard({ counters: { auth: 4 } })).toThrow(RangeError);
    const { d: _d, ...pub } = authJwk;
    expect(() => makeCard({ authKey: pub })).toThrow(TypeError);
    expect(() => VirtualJpkiCard.fromState({ format: 'x' } as never)).toThrow(
      expect.objectContaining({ code: 'card_state_invalid' }),
    );
    const st = makeCard().exportState();
    expect(() => VirtualJpkiCard.fromState({ ...st, pins: { auth: '1' } })).toThrow(
      expect.objectContaining({ code: 'card_state_invalid' }),
    );
  });
  it('ok-a lowercase signing password is stored upper-cased', async () => {
    const c = makeCard({ signPin: 'abc123' });
    expect(sw(await run(c, JPKI, sel('001b'), verifyHex('ABC123')))).toEqual(['9000', '9000', '9000']);
  });
});
