/**
 * CRL publication (docs/jpki.md §2.2: "CRL提供方式", a full list updated once a day). One full
 * v2 CRL per CA generation, signed by the CA key, numbered sequentially, published on schedule and
 * on demand. A CRL reflects the CA's status at its publication: revocations after it appear in the
 * next one. Released holds simply disappear from the next CRL (the removeFromCRL semantics of a
 * full CRL, RFC 5280 §5.3.1). Entries of certificates past their notAfter are dropped (RFC 5280 §3.3).
 */
import { buildCrl, type CrlReason } from '@watashi/pki';
import { allCas } from './ca.ts';
import { type CaRuntime, type SimContext } from './context.ts';
import { simError } from './errors.ts';
import type { Purpose } from './model.ts';

/** File of the published CRL of a CA, relative to the data dir. */
const crlFile = (purpose: Purpose, generation: string): string => `crl/${purpose}-${generation}.crl`;

/** Publishes a new CRL for one CA; returns its number. */
async function publishCrl(ctx: SimContext, ca: CaRuntime): Promise<bigint> {
  const now = ctx.clock.now();
  const entries: { serial: bigint; revocationDate: Date; reason: CrlReason }[] = [];
  for (const c of Object.values(ctx.state.certificates)) {
    if (c.purpose !== ca.purpose || c.generation !== ca.generation || c.status.type !== 'revoked') continue;
    if (new Date(c.notAfter).getTime() < now.getTime()) continue;
    entries.push({
      serial: BigInt(c.serial),
      revocationDate: new Date(c.status.at),
      reason: c.status.reason,
    });
  }
  entries.sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  const crlNumber = BigInt(ca.record.crlNumber) + 1n;
  const nextUpdate = new Date(now.getTime() + ctx.config.crlIntervalSeconds * 1000);
  const der = await buildCrl({
    issuer: ca.certificate.subject.der,
    issuerSpki: ca.certificate.spki,
    thisUpdate: now,
    nextUpdate,
    crlNumber,
    entries,
    signer: ca.signer,
  });
  const file = crlFile(ca.purpose, ca.generation);
  ctx.store.writePublic(file, der);
  ca.record.crlNumber = crlNumber.toString();
  ca.record.crl = {
    number: crlNumber.toString(),
    thisUpdate: now.toISOString(),
    nextUpdate: nextUpdate.toISOString(),
    file,
    entries: entries.length,
  };
  ctx.save();
  ctx.log.info(
    { purpose: ca.purpose, generation: ca.generation, crlNumber: Number(crlNumber), entries: entries.length },
    'published CRL',
  );
  return crlNumber;
}

/** Publishes a CRL for every CA. */
export async function publishAllCrls(
  ctx: SimContext,
): Promise<Array<{ purpose: Purpose; generation: string; crlNumber: string; entries: number }>> {
  const out = [];
  for (const ca of allCas(ctx)) {
    const n = await publishCrl(ctx, ca);
    out.push({
      purpose: ca.purpose,
      generation: ca.generation,
      crlNumber: n.toString(),
      entries: ca.record.crl?.entries ?? 0,
    });
  }
  return out;
}

/** The DER of the last published CRL of a CA; throws `crl_not_found` before the first publication. */
export function currentCrl(ctx: SimContext, ca: CaRuntime): Uint8Array {
  if (!ca.record.crl)
    throw simError('crl_not_found', `no CRL published yet for ${ca.purpose}/${ca.generation}`);
  return ctx.store.readPublic(ca.record.crl.file);
}
