/**
 * Test support for enrolment: a real in-process J-LIS simulator over HTTP, a hosted card driven by
 * the real JpkiCardClient, and a real AES-256-GCM / HMAC key store (used until server-core's key
 * store lands). The JpkiBackend is the platform's own `HttpJpkiBackend` (src/jlis).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, prepareCmsSignature, WatashiError } from '@watashi/pki';
import { JpkiCardClient, JpkiTrustStore, type CardTransport } from '@watashi/jpki';
import { createSimulator, fixedClock, type ManualClock, type RunningSimulator } from '@watashi/jlis-sim';
import type { KeyStore } from '../../src/keys/key-store.ts';

/** A running simulator with its URL and a temporary data dir. */
export interface TestSim {
  readonly s: RunningSimulator;
  readonly url: string;
  readonly clock: ManualClock;
  /** The simulator's data directory (its CA keys are under keys/, for forging tests). */
  readonly dir: string;
  close(): Promise<void>;
}

/** Starts a simulator on a random port with a fixed clock. */
export async function startSim(seed: string, at: Date): Promise<TestSim> {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-enrol-sim-'));
  const clock = fixedClock(at);
  const s = await createSimulator(
    { dataDir: dir, port: 0, seed, schedule: false, logLevel: 'silent' },
    { clock },
  );
  const url = await s.listen();
  return {
    s,
    url,
    clock,
    dir,
    close: async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The simulator's signing and auth roots as a simulator-mode trust store. */
export async function simTrust(sim: TestSim): Promise<JpkiTrustStore> {
  const info = sim.s.sim.info();
  return JpkiTrustStore.simulator(
    info.caCertificates.map((c) => sim.s.sim.caCertificate(c.purpose, c.generation)),
  );
}

/** A real key store: AES-256-GCM sealing and HMAC-SHA-256, keys held in memory. */
export function memoryKeyStore(): KeyStore {
  const data = randomBytes(32);
  const macKey = randomBytes(32);
  return {
    seal(plaintext, aad) {
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', data, nonce);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      return Promise.resolve({ alg: 'A256GCM', keyId: 'test-1', nonce, ciphertext: new Uint8Array(ct) });
    },
    open(box, aad) {
      const d = createDecipheriv('aes-256-gcm', data, box.nonce);
      d.setAAD(aad);
      d.setAuthTag(box.ciphertext.subarray(box.ciphertext.length - 16));
      try {
        return Promise.resolve(
          new Uint8Array(Buffer.concat([d.update(box.ciphertext.subarray(0, -16)), d.final()])),
        );
      } catch (cause) {
        return Promise.reject(new WatashiError('key_store_decrypt_failed', 'cannot open', { cause }));
      }
    },
    mac(purpose, input) {
      const mac = createHmac('sha256', macKey).update(purpose).update('\0').update(input).digest();
      return Promise.resolve({ mac: new Uint8Array(mac), keyId: 'test-1' });
    },
  };
}

/** A hosted card of the simulator, reached over HTTP like a browser's NFC bridge would. */
export function hostedCard(url: string, tokenId: string): CardTransport {
  return {
    async transmit(apdu) {
      const res = await fetch(`${url}/cards/${tokenId}/apdu`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from(apdu),
      });
      if (res.status !== 200) throw new Error(`hosted card HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** A resident signing with a hosted card through the real card client. */
export interface CardHolder {
  readonly tokenId: string;
  readonly signPin: string;
  readonly residentId: string;
  /** CMS SignedData over `content`, signed on the card (attached unless `detached`). */
  cms(content: Uint8Array, detached?: boolean): Promise<Uint8Array>;
  /** Raw PKCS#1 v1.5 SHA-256 signature over `content` and the signing certificate. */
  raw(content: Uint8Array): Promise<{ signature: Uint8Array; certificate: Uint8Array }>;
  /** The card's user-authentication certificate and a signature by its key. */
  rawAuth(content: Uint8Array): Promise<{ signature: Uint8Array; certificate: Uint8Array }>;
}

/** Opens a card session and returns a signer over it. */
export function cardHolder(
  sim: TestSim,
  residentId: string,
  tokenId: string,
  signPin: string,
  authPin = '1234',
): CardHolder {
  const client = async (): Promise<JpkiCardClient> => {
    await fetch(`${sim.url}/cards/${tokenId}/session`, { method: 'POST' });
    return new JpkiCardClient(hostedCard(sim.url, tokenId));
  };
  return {
    tokenId,
    signPin,
    residentId,
    async cms(content, detached = false) {
      const c = await client();
      await c.verifyPin('sign', signPin);
      const certificate = await c.readCertificate('sign');
      const prepared = await prepareCmsSignature({
        content,
        detached,
        certificate,
        signingTime: sim.clock.now(),
      });
      return prepared.finish(await c.signDigestInfo('sign', prepared.digestInfo));
    },
    async raw(content) {
      const c = await client();
      const signature = await c.sign('sign', signPin, content);
      const certificate = await c.readCertificate('sign');
      return { signature, certificate };
    },
    async rawAuth(content) {
      const c = await client();
      const signature = await c.sign('auth', authPin, content);
      const certificate = await c.readCertificate('auth');
      return { signature, certificate };
    },
  };
}

/** Adds a resident with a card; returns the holder. */
export async function newResident(
  sim: TestSim,
  given: { name?: string; address?: string; birthDate?: string; sex?: '1' | '2' | '3' } = {},
): Promise<CardHolder> {
  // An adult (a signing certificate is issued only from 15), with a birth date spread wide enough
  // that two random residents rarely share name, birth date and sex.
  const n = Math.floor(Math.random() * 18_000);
  const birthDate = new Date(Date.UTC(1945, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  const r = await sim.s.sim.addResident({ birthDate, ...given });
  const { card } = await sim.s.sim.issueCard(r.id, { signPin: 'ABC123', authPin: '1234' });
  return cardHolder(sim, r.id, card.tokenId, 'ABC123');
}

export { fromBase64 };
