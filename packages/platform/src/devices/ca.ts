/**
 * The platform's Watashi CA (docs/trust-service.md §1): created on first use from the signing keys
 * of purposes `ca-root` and `ca-issuing` (the key store, local or PKCS#11), its certificates kept
 * in `watashi_cas`. Several instances starting together race to insert; the primary key lets one
 * win and the others read its certificates (and find its keys in the shared store).
 */
import {
  caUrls,
  createCaCertificates,
  openIssuingCa,
  p256SpkiFromJwk,
  rawP256Signer,
  type IssuingCa,
} from '@watashi/ca';
import { parseCertificate, type Certificate, type Signer } from '@watashi/pki';
import type { SigningKey, SigningKeyStore } from '../keys/key-store.ts';
import type { PlatformDeps } from '../server/context.ts';

/** Where the CA's keys are: the platform's key store, or a PKCS#11 token. */
export type CaKeys = Pick<SigningKeyStore, 'signingKeys'>;

const opened = new WeakMap<PlatformDeps, Promise<IssuingCa>>();
const keysOf = new WeakMap<PlatformDeps, CaKeys>();

/** Uses `keys` for the CA of `deps` (a PKCS#11 token); otherwise `deps.keys` must sign. */
export function useCaKeys(deps: PlatformDeps, keys: CaKeys): void {
  keysOf.set(deps, keys);
}

const signerOf = (k: SigningKey): Signer => rawP256Signer(p256SpkiFromJwk(k.publicJwk), (d) => k.sign(d));

async function keyFor(keys: CaKeys, purpose: string, keyId?: string): Promise<SigningKey> {
  const all = await keys.signingKeys(purpose);
  const key = keyId === undefined ? all[0] : all.find((k) => k.keyId === keyId);
  if (key === undefined)
    throw new Error(`the CA key ${purpose}/${keyId ?? 'current'} is not in the key store`);
  return key;
}

async function open(deps: PlatformDeps): Promise<IssuingCa> {
  const keys = keysOf.get(deps) ?? (deps.keys as Partial<SigningKeyStore>);
  if (keys.signingKeys === undefined) throw new Error('the CA needs a key store that signs');
  const ks = keys as CaKeys;
  if (deps.config.publicUrl === undefined || deps.config.publicUrl === null)
    throw new Error('the CA needs config.publicUrl (its certificates name their URLs)');
  const urls = caUrls(deps.config.publicUrl);
  let rows = await deps.db.selectFrom('watashi_cas').selectAll().execute();
  if (rows.length < 2) {
    const root = await keyFor(ks, 'ca-root');
    const issuing = await keyFor(ks, 'ca-issuing');
    const certs = await createCaCertificates({
      rootSigner: signerOf(root),
      issuingSigner: signerOf(issuing),
      deployment: new URL(deps.config.publicUrl).host,
      urls,
      now: deps.now(),
    });
    await deps.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('watashi_cas')
        .values([
          { role: 'root', certificate: certs.root, key_id: root.keyId, created_at: deps.now() },
          { role: 'issuing', certificate: certs.issuing, key_id: issuing.keyId, created_at: deps.now() },
        ])
        .onConflict((oc) => oc.column('role').doNothing())
        .returning('role')
        .execute();
      // Another instance created the CA first: keep its pair (never a root of one and an issuing of another).
      if (inserted.length === 1)
        await trx.deleteFrom('watashi_cas').where('role', '=', inserted[0]!.role).execute();
    });
    rows = await deps.db.selectFrom('watashi_cas').selectAll().execute();
  }
  const root = rows.find((r) => r.role === 'root');
  const issuing = rows.find((r) => r.role === 'issuing');
  if (root === undefined || issuing === undefined) throw new Error('the CA rows are incomplete');
  return openIssuingCa({
    root: root.certificate,
    issuing: issuing.certificate,
    rootSigner: signerOf(await keyFor(ks, 'ca-root', root.key_id)),
    issuingSigner: signerOf(await keyFor(ks, 'ca-issuing', issuing.key_id)),
    urls,
  });
}

/** The platform's CA (created on first use). */
export function platformCa(deps: PlatformDeps): Promise<IssuingCa> {
  let ca = opened.get(deps);
  if (ca === undefined) {
    ca = open(deps);
    opened.set(deps, ca);
    ca.catch(() => opened.delete(deps));
  }
  return ca;
}

/**
 * The CA's certificates if the CA exists, without creating it or touching its keys: what a
 * verifier needs (the root as a trust anchor, the issuing CA to recognise a Watashi certificate)
 * on a deployment that may run no CA at all.
 */
export async function existingCaCertificates(
  deps: PlatformDeps,
): Promise<{ readonly root: Certificate; readonly issuing: Certificate } | undefined> {
  const rows = await deps.db.selectFrom('watashi_cas').select(['role', 'certificate']).execute();
  const root = rows.find((r) => r.role === 'root');
  const issuing = rows.find((r) => r.role === 'issuing');
  if (root === undefined || issuing === undefined) return undefined;
  return { root: parseCertificate(root.certificate), issuing: parseCertificate(issuing.certificate) };
}
