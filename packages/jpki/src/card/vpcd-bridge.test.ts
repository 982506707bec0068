import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isWatashiError, toHex } from '@watashi/pki';
import { startVpcdBridge } from './vpcd-bridge.ts';
import type { CardTransport, ResettableCard } from './transport.ts';

/** A stand-in for vpcd's listening side: collects the frames the bridge sends. */
async function fakeVpcd(): Promise<{ server: Server; port: number; peer: Promise<Socket> }> {
  let accept!: (s: Socket) => void;
  const peer = new Promise<Socket>((r) => (accept = r));
  const server = createServer((s) => accept(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { server, port: addr.port, peer };
}

function reader(s: Socket): () => Promise<string> {
  let buf = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiting.splice(0).forEach((w) => w());
  });
  return async () => {
    while (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0))
      await new Promise<void>((r) => waiting.push(r));
    const len = buf.readUInt16BE(0);
    const out = toHex(buf.subarray(2, 2 + len));
    buf = buf.subarray(2 + len);
    return out;
  };
}

const frame = (hex: string): Buffer => {
  const p = Buffer.from(hex, 'hex');
  const b = Buffer.alloc(2);
  b.writeUInt16BE(p.length);
  return Buffer.concat([b, p]);
};

let servers: Server[] = [];
afterEach(() => {
  servers.forEach((s) => s.close());
  servers = [];
});

describe('vpcd bridge framing (docs/dependencies.md §5.7)', () => {
  it('ok-answers get-ATR, ignores power codes but resets the card, and relays APDUs in order across split frames', async () => {
    const { server, port, peer } = await fakeVpcd();
    servers.push(server);
    const seen: string[] = [];
    let resets = 0;
    const card: ResettableCard = {
      transmit: (a) => {
        seen.push(toHex(a));
        return Promise.resolve(Uint8Array.of(a[1] ?? 0, 0x90, 0x00));
      },
      reset: () => void resets++,
    };
    const bridge = await startVpcdBridge(card, { port });
    const s = await peer;
    const next = reader(s);
    s.write(frame('04'));
    expect(await next()).toBe('3be000ff8131fe4514');
    s.write(Buffer.concat([frame('01'), frame('02'), frame('00')]));
    const two = Buffer.concat([frame('00a4040c0ad392f000260100000001'), frame('00b0000004')]);
    s.write(two.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 20));
    s.write(two.subarray(5));
    expect(await next()).toBe('a49000');
    expect(await next()).toBe('b09000');
    expect(seen).toEqual(['00a4040c0ad392f000260100000001', '00b0000004']);
    expect(resets).toBe(3);
    await bridge.close();
  });
  it('ok-a throwing card yields 6F00 and onError', async () => {
    const { server, port, peer } = await fakeVpcd();
    servers.push(server);
    const errors: unknown[] = [];
    const card: CardTransport = { transmit: () => Promise.reject(new Error('boom')) };
    const bridge = await startVpcdBridge(card, {
      port,
      atr: Uint8Array.of(0x3b, 0x00),
      onError: (e) => errors.push(e),
    });
    const s = await peer;
    const next = reader(s);
    s.write(Buffer.concat([frame('04'), frame('00b0000000')]));
    expect(await next()).toBe('3b00');
    expect(await next()).toBe('6f00');
    expect(errors).toHaveLength(1);
    await bridge.close();
  });
  it('fail-nobody listening is card_transport_failed after the timeout', async () => {
    const { server, port } = await fakeVpcd();
    await new Promise<void>((r) => server.close(() => r()));
    let err: unknown;
    try {
      await startVpcdBridge(
        { transmit: () => Promise.resolve(Uint8Array.of(0x90, 0)) },
        { port, connectTimeoutMs: 300 },
      );
    } catch (e) {
      err = e;
    }
    expect(isWatashiError(err, 'card_transport_failed')).toBe(true);
  });
});
