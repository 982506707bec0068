// Signing with the My Number card's signing key through the simulator's hosted card over HTTP
// (the APDUs an NFC reader would carry), time-stamps from Watashi's TSA on the simulator's clock,
// B-LT evidence from the simulator's OCSP responder — and the case the issue is about: a
// signature made before the signer moved validates, offline, after the certificate was revoked
// (affiliationChanged) and has expired; one made after the revocation fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, fixedClock, type RunningSimulator } from '@watashi/jlis-sim';
import { JpkiCardClient, type CardTransport } from '@watashi/jpki';
import { DerReader, OID, parseCertificate, readTlv, seq, type Certificate } from '@watashi/pki';
import { joinSignedData, splitSignedData, unsignedAttribute } from '../src/cms-structure.ts';

/** The first certificate of a CertificateValues SEQUENCE. */
function leafOf(values: Uint8Array): Uint8Array {
  const first = DerReader.of(values, readTlv(values, 0)).next();
  return values.slice(first.start, first.end);
}
import {
  addArchiveTimeStamp,
  addValidationData,
  cardSigner,
  localTimeStamper,
  ocspHttpEvidence,
  signCades,
  validateCades,
} from '../src/index.ts';
import { openssl, testTsa } from './fixtures.ts';

const DAY = 86_400_000;

describe('CAdES with the hosted card, B-LT from the simulator, validated years later offline', () => {
  const ws = openssl();
  const clock = fixedClock(new Date('2024-03-01T01:00:00Z'));
  let s: RunningSimulator;
  let dir: string;
  let base: string;
  let anchors: Certificate[];
  let tsa: Awaited<ReturnType<typeof testTsa>>;
  const content = new TextEncoder().encode('賃貸借契約書 2024-03-01\n');

  /** A JpkiCardClient on hosted card `id`, in a fresh reader session (POST /cards/{id}/session). */
  async function hostedCard(id: string): Promise<JpkiCardClient> {
    const r = await fetch(`${base}/cards/${id}/session`, { method: 'POST' });
    expect(r.ok).toBe(true);
    const transport: CardTransport = {
      async transmit(apdu) {
        const res = await fetch(`${base}/cards/${id}/apdu`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(apdu),
        });
        return new Uint8Array(await res.arrayBuffer());
      },
    };
    return new JpkiCardClient(transport);
  }

  async function resident(pin: string): Promise<{ id: string; tokenId: string; name: string }> {
    const r = await s.sim.addResident({ name: '渡志　花子', birthDate: '1990-05-05', sex: '2' });
    const { card } = await s.sim.issueCard(r.id, { signPin: pin, authPin: '1234' });
    return { id: r.id, tokenId: card.tokenId, name: r.name };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sig-sim-'));
    s = await createSimulator(
      { dataDir: dir, port: 0, seed: 'signature', schedule: false, logLevel: 'silent' },
      { clock },
    );
    base = await s.listen();
    anchors = ['2019', '2023'].map((g) => parseCertificate(s.sim.caCertificate('sign', g)));
    tsa = await testTsa('Watashi', () => clock.now());
    ws.pem('sim-sign-ca.pem', s.sim.caCertificate('sign', '2023'));
    ws.write('doc.bin', content);
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
    ws.cleanup();
  });

  it('B-B made by the card verifies with openssl cms -verify', async () => {
    const r = await resident('SIGN01');
    const p7s = await signCades({
      content,
      signer: await cardSigner(await hostedCard(r.tokenId), 'SIGN01'),
      signingTime: clock.now(),
    });
    ws.write('card.p7s', p7s);
    const v = ws.run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'card.p7s', '-content', 'doc.bin', '-CAfile', 'sim-sign-ca.pem', '-purpose', 'any', '-out', '/dev/null']); // prettier-ignore
    expect(v.out).toMatch(/Verification successful/);
    // A wrong signing password is the card's error, not a signature.
    await expect(cardSigner(await hostedCard(r.tokenId), 'WRONG9')).rejects.toMatchObject({
      code: 'card_pin_incorrect',
    });
  });

  it('signed, then moved, then expired: passes offline on its time-stamp and embedded evidence', async () => {
    clock.set(new Date('2024-03-01T01:00:00Z'));
    const r = await resident('MOVE01');
    const signedAt = clock.now();
    const bt = await signCades({
      content,
      signer: await cardSigner(await hostedCard(r.tokenId), 'MOVE01'),
      signingTime: signedAt,
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
    });
    // Evidence issued after the time-stamp: the OCSP snapshot refreshed a minute later.
    clock.advance(60_000);
    s.sim.refreshOcsp();
    const blt = await addValidationData(bt, ocspHttpEvidence({ url: `${base}/ocsp` }));
    const blta = await addArchiveTimeStamp(blt, content, localTimeStamper(tsa.authority));
    // The resident moves a month later: the signing certificate is revoked with affiliationChanged.
    clock.advance(30 * DAY);
    await s.sim.lifeEvent(r.id, { type: 'move' });
    s.sim.refreshOcsp();
    // Years later, after the certificate has expired, with no network.
    const later = new Date('2031-06-01T00:00:00Z');
    const report = await validateCades({ cms: blta, content, anchors, tsaAnchors: [tsa.root], now: later });
    expect(report).toMatchObject({
      indication: 'TOTAL-PASSED',
      level: 'B-LTA',
      provenAt: signedAt.toISOString(),
      validationTime: signedAt.toISOString(),
      networkUsed: false,
      revocation: { source: 'ocsp', embedded: true, status: 'good' },
      signer: { name: r.name },
    });
    expect(new Date(report.signer!.notAfter).getTime()).toBeLessThan(later.getTime());
    // Without trusting its TSA nothing proves when it was made: the expired certificate then
    // leaves it INDETERMINATE (EN 319 102-1 OUT_OF_BOUNDS_NO_POE), never passed.
    const noPoe = await validateCades({ cms: blta, content, anchors, tsaAnchors: [], now: later });
    expect(noPoe).toMatchObject({
      indication: 'INDETERMINATE',
      subIndication: 'OUT_OF_BOUNDS_NO_POE',
      code: 'signature_certificate_expired',
    });
    expect(noPoe.provenAt).toBeUndefined();
    // Evidence changed after the archive time-stamp (a certificate dropped from
    // certificate-values): the archive time-stamp no longer matches — TOTAL-FAILED.
    const parts = splitSignedData(blta);
    const tampered = joinSignedData(
      parts,
      parts.unsigned.map((a) =>
        a.type === OID.aaEtsCertValues
          ? unsignedAttribute(OID.aaEtsCertValues, seq(leafOf(a.values[0]!)))
          : a,
      ),
    );
    expect(
      await validateCades({ cms: tampered, content, anchors, tsaAnchors: [tsa.root], now: later }),
    ).toMatchObject({ indication: 'TOTAL-FAILED', code: 'signature_timestamp_invalid' });
  });

  it('evidence gathered after the move still passes: the revocation is later than the proof of time', async () => {
    clock.set(new Date('2024-04-01T01:00:00Z'));
    const r = await resident('MOVE02');
    const signedAt = clock.now();
    const bt = await signCades({
      content,
      signer: await cardSigner(await hostedCard(r.tokenId), 'MOVE02'),
      signingTime: signedAt,
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
    });
    clock.advance(DAY);
    await s.sim.lifeEvent(r.id, { type: 'move' });
    s.sim.refreshOcsp();
    const blt = await addValidationData(bt, ocspHttpEvidence({ url: `${base}/ocsp` }));
    const report = await validateCades({
      cms: blt,
      content,
      anchors,
      tsaAnchors: [tsa.root],
      now: new Date('2031-06-01T00:00:00Z'),
    });
    expect(report).toMatchObject({
      indication: 'TOTAL-PASSED',
      level: 'B-LT',
      revocation: { status: 'revoked', reason: 'affiliationChanged' },
    });
  });

  it('signed after the revocation: TOTAL-FAILED/REVOKED', async () => {
    clock.set(new Date('2024-05-01T01:00:00Z'));
    const r = await resident('LATE01');
    // The move revokes the certificate; without a visit to the counter the card keeps the old key.
    await s.sim.lifeEvent(r.id, { type: 'move', reissue: false });
    clock.advance(60_000);
    const bt = await signCades({
      content,
      signer: await cardSigner(await hostedCard(r.tokenId), 'LATE01'),
      signingTime: clock.now(),
      level: 'B-T',
      timeStamper: localTimeStamper(tsa.authority),
    });
    clock.advance(60_000);
    s.sim.refreshOcsp();
    const blt = await addValidationData(bt, ocspHttpEvidence({ url: `${base}/ocsp` }));
    const report = await validateCades({
      cms: blt,
      content,
      anchors,
      tsaAnchors: [tsa.root],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report).toMatchObject({
      indication: 'TOTAL-FAILED',
      subIndication: 'REVOKED',
      code: 'signature_certificate_revoked',
      revocation: { status: 'revoked', reason: 'affiliationChanged' },
    });
  });
});
