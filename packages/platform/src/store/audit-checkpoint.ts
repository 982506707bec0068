/**
 * Signed checkpoints of the audit chain head, kept outside the database (issue 21, item 5).
 *
 * The hash chain (store/audit.ts) catches an edited, inserted or deleted row, but someone with write
 * access to the database can delete the newest records and rewind `audit_head` to the last one
 * kept: the shorter chain verifies. A checkpoint records the head — sequence number, hash, time —
 * after verifying the whole chain, signs it with the platform's `audit` signing key from the key
 * store (which lives outside the database: key files or an HSM), and is written as a file to a
 * directory the operator chooses (and should copy off the host: write-once storage, another
 * machine). `verifyAuditChain(db, { checkpoint })` then refuses a chain that no longer reaches the
 * checkpoint's sequence number or passes through another hash there.
 *
 * Format: a JSON file `audit-checkpoint-<seq, 20 digits>.json` holding the compact JWS (RFC 7515,
 * ES256, `kid` of the key, `typ` `watashi-audit-checkpoint`) over the payload
 * `{v, seq, hash (hex), at (ISO time)}`, the public JWK (for checks without the key store), and an
 * optional `timestamp`: an RFC 3161 time-stamp token (base64) whose messageImprint is SHA-256 of the
 * compact JWS (its ASCII bytes: the checkpoint's signed content).
 *
 * Time-stamps (`tsa` option; config `audit.tsaUrl`, `audit.tsaCertificates`): after signing, the
 * checkpoint is sent to the TSA (`@watashi/pki` tsp: SHA-256 imprint, random nonce, certReq) and the
 * answer verified (granted, our imprint and nonce, a TSA certificate chaining to the configured
 * ones) before its token is stored. A TSA that is down, refuses or answers a token that does not
 * verify does NOT stop the checkpoint: it is written without `timestamp` and the failure returned
 * (`timestampError`) for the caller to log as a warning. The signed head is what protects the
 * chain; the time-stamp only adds a third party's word on when, and losing a checkpoint to a TSA
 * outage would weaken the protection it adds to.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import type { Kysely } from 'kysely';
import {
  buildTimeStampRequest,
  requestTimeStamp,
  verifyTimeStampResponse,
  verifyTimeStampToken,
  WatashiError,
  type Certificate,
  type VerifiedTimeStamp,
} from '@watashi/pki';
import { nodeVerifier } from '@watashi/pki/node';
import { createHash } from 'node:crypto';
import type { KeyStore, PublicSigningJwk } from '../keys/key-store.ts';
import { verifyAuditChain, type AuditAnchor } from './audit.ts';
import type { Schema } from './schema.ts';

/** The key-store purpose of the checkpoint signing key. */
export const AUDIT_SIGNING_PURPOSE = 'audit';
const TYP = 'watashi-audit-checkpoint';
const FILE = /^audit-checkpoint-(\d{20})\.json$/;

/** Codes of checkpoint failures. */
export type AuditCheckpointErrorCode =
  /** The chain does not verify: no checkpoint is made of a broken chain. */
  | 'audit_chain_broken'
  /** The key store cannot sign (no signing capability). */
  | 'audit_checkpoint_no_key'
  /** A checkpoint file does not parse, or its signature does not verify. */
  | 'audit_checkpoint_invalid'
  /** A checkpoint's time-stamp token does not verify (the cause holds the `tsp_*` error). */
  | 'audit_timestamp_invalid';

/** Where checkpoints are time-stamped (RFC 3161). */
export interface AuditTsaOptions {
  /** The TSA's URL (HTTP POST of application/timestamp-query). */
  readonly url: string;
  /** The TSA certificates trusted (root, intermediate or the TSA's own); the token must chain to one. */
  readonly anchors: ReadonlyArray<Certificate>;
  /** fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
  /** Give up on the TSA after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/** A checkpoint as written to its file. */
export interface AuditCheckpointFile {
  readonly v: 1;
  /** Compact JWS over {@link AuditCheckpointPayload}. */
  readonly jws: string;
  /** The public key of `kid` (the verifier prefers the key store's copy). */
  readonly publicJwk: PublicSigningJwk;
  /** Optional RFC 3161 TimeStampToken, base64, whose messageImprint is SHA-256 of `jws` (ASCII). */
  readonly timestamp?: string;
}

/** What a checkpoint signs. */
export interface AuditCheckpointPayload {
  readonly v: 1;
  /** The head's sequence number (decimal string: a bigint). */
  readonly seq: string;
  /** The head's hash, hex. */
  readonly hash: string;
  /** When the checkpoint was made (ISO 8601). */
  readonly at: string;
}

/** A verified checkpoint. */
export interface AuditCheckpoint extends AuditAnchor {
  readonly at: Date;
  readonly keyId: string;
  readonly file?: string;
  /** The compact JWS read (what a time-stamp token covers). */
  readonly jws?: string;
  /** The file's time-stamp token (base64), NOT verified by reading: see {@link verifyAuditCheckpointTimestamp}. */
  readonly timestampToken?: string;
}

/** The outcome of asking the TSA, next to a checkpoint. */
export interface AuditCheckpointTimestampResult {
  /** The TSA's time, when a verified token was stored. */
  readonly timestamp?: { readonly genTime: Date; readonly serial: bigint };
  /** Why the checkpoint has no token although a TSA is configured (log it as a warning). */
  readonly timestampError?: WatashiError;
}

/** SHA-256 of a checkpoint's signed content, the compact JWS (what its time-stamp covers). */
export function auditCheckpointImprint(jws: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(jws, 'ascii').digest());
}

/** Asks the TSA for a token over `jws` and verifies it; throws `tsp_*` errors. */
async function timestamp(
  jws: string,
  tsa: AuditTsaOptions,
): Promise<VerifiedTimeStamp & { token: Uint8Array }> {
  const imprint = auditCheckpointImprint(jws);
  const request = buildTimeStampRequest({ imprint });
  const response = await requestTimeStamp({
    url: tsa.url,
    request,
    ...(tsa.fetch ? { fetch: tsa.fetch } : {}),
    ...(tsa.timeoutMs === undefined ? {} : { timeoutMs: tsa.timeoutMs }),
  });
  return verifyTimeStampResponse({
    response,
    imprint,
    nonce: request.nonce,
    anchors: tsa.anchors,
    verifier: nodeVerifier(),
  });
}

/**
 * Verifies a checkpoint's time-stamp token (read by {@link readAuditCheckpoint}): the same checks as
 * when it was obtained, except the nonce (a stored token is checked without its request). Returns
 * undefined when the checkpoint has no token; throws `audit_timestamp_invalid` when it does not verify.
 */
export async function verifyAuditCheckpointTimestamp(
  checkpoint: AuditCheckpoint,
  anchors: ReadonlyArray<Certificate>,
): Promise<VerifiedTimeStamp | undefined> {
  if (checkpoint.timestampToken === undefined) return undefined;
  if (checkpoint.jws === undefined) throw new TypeError('the checkpoint was not read from a file');
  try {
    return await verifyTimeStampToken({
      token: new Uint8Array(Buffer.from(checkpoint.timestampToken, 'base64')),
      imprint: auditCheckpointImprint(checkpoint.jws),
      nonce: 'not-checked',
      anchors,
      verifier: nodeVerifier(),
    });
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new WatashiError(
      'audit_timestamp_invalid',
      `the checkpoint's time-stamp does not verify: ${(cause as Error).message}`,
      { cause, detail: { reason: typeof code === 'string' ? code : 'unknown' } },
    );
  }
}

const b64u = (b: Uint8Array | string): string =>
  (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b)).toString('base64url');

function invalid(message: string, cause?: unknown): WatashiError<AuditCheckpointErrorCode> {
  return new WatashiError('audit_checkpoint_invalid', message, cause === undefined ? undefined : { cause });
}

/**
 * Verifies the whole chain, then signs its head. Throws `audit_chain_broken` (with the
 * verification in `detail`) rather than vouch for a broken chain.
 */
export async function createAuditCheckpoint(
  db: Kysely<Schema>,
  keys: KeyStore,
  options: { now?: () => Date; previous?: AuditAnchor; tsa?: AuditTsaOptions } = {},
): Promise<{ file: AuditCheckpointFile; checkpoint: AuditCheckpoint } & AuditCheckpointTimestampResult> {
  if (keys.signingKeys === undefined)
    throw new WatashiError('audit_checkpoint_no_key', 'the key store cannot sign audit checkpoints');
  const [key] = await keys.signingKeys(AUDIT_SIGNING_PURPOSE);
  if (key === undefined)
    throw new WatashiError('audit_checkpoint_no_key', 'the key store has no audit signing key');
  const verified = await verifyAuditChain(
    db,
    options.previous === undefined ? {} : { checkpoint: options.previous },
  );
  if (!verified.ok)
    throw new WatashiError('audit_chain_broken', 'the audit chain does not verify; no checkpoint made', {
      detail: { firstBrokenSeq: verified.firstBrokenSeq.toString(), reason: verified.reason },
    });
  // The head the verification ended at; read again in its own statement (appends go on: any head
  // at or after the verified one is on the verified chain, and the next verify will check it).
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const at = (options.now ?? (() => new Date()))();
  const payload: AuditCheckpointPayload = {
    v: 1,
    seq: head.seq.toString(),
    hash: Buffer.from(head.hash).toString('hex'),
    at: at.toISOString(),
  };
  const input = `${b64u(JSON.stringify({ alg: key.alg, kid: key.keyId, typ: TYP }))}.${b64u(JSON.stringify(payload))}`;
  const signature = await key.sign(new Uint8Array(Buffer.from(input, 'ascii')));
  const jws = `${input}.${b64u(signature)}`;
  const checkpoint = { seq: head.seq, hash: head.hash, at, keyId: key.keyId, jws };
  if (options.tsa === undefined) return { file: { v: 1, jws, publicJwk: key.publicJwk }, checkpoint };
  try {
    const ts = await timestamp(jws, options.tsa);
    const token = Buffer.from(ts.token).toString('base64');
    return {
      file: { v: 1, jws, publicJwk: key.publicJwk, timestamp: token },
      checkpoint: { ...checkpoint, timestampToken: token },
      timestamp: { genTime: ts.genTime, serial: ts.serial },
    };
  } catch (e) {
    // Written without a token rather than not at all (see the module comment); only an unverified
    // token is never stored.
    const timestampError: WatashiError =
      e instanceof WatashiError
        ? (e as WatashiError)
        : new WatashiError<string>('tsp_rejected', 'time-stamp failed', { cause: e });
    return { file: { v: 1, jws, publicJwk: key.publicJwk }, checkpoint, timestampError };
  }
}

/** Makes a checkpoint and writes it to `dir` (created if missing); returns its path. */
export async function writeAuditCheckpoint(
  db: Kysely<Schema>,
  keys: KeyStore,
  dir: string,
  options: { now?: () => Date; tsa?: AuditTsaOptions } = {},
): Promise<AuditCheckpoint & { file: string } & AuditCheckpointTimestampResult> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  // Never checkpoint a chain that has lost what the last checkpoint saw.
  const previous = await readLatestAuditCheckpoint(dir, keys);
  const made = await createAuditCheckpoint(db, keys, {
    ...options,
    ...(previous === undefined ? {} : { previous }),
  });
  const name = `audit-checkpoint-${made.checkpoint.seq.toString().padStart(20, '0')}.json`;
  const path = join(dir, name);
  // Written whole, then renamed: a reader never sees half a file.
  await writeFile(`${path}.tmp`, `${JSON.stringify(made.file, null, 2)}\n`, { mode: 0o640 });
  await rename(`${path}.tmp`, path);
  return {
    ...made.checkpoint,
    file: path,
    ...(made.timestamp ? { timestamp: made.timestamp } : {}),
    ...(made.timestampError ? { timestampError: made.timestampError } : {}),
  };
}

/**
 * Parses and verifies a checkpoint file's signature. The key is the key store's key of that `kid`
 * when the store has it (the file's own copy could have been swapped with the file); a store
 * without it (e.g. a verifier on another machine) falls back to the file's public key only when
 * `trustFileKey` is set.
 */
export async function readAuditCheckpoint(
  text: string,
  keys: KeyStore | undefined,
  options: { trustFileKey?: boolean } = {},
): Promise<AuditCheckpoint> {
  let file: AuditCheckpointFile;
  try {
    file = JSON.parse(text) as AuditCheckpointFile;
  } catch (cause) {
    throw invalid('the checkpoint file is not JSON', cause);
  }
  if (
    typeof file !== 'object' ||
    file === null ||
    file.v !== 1 ||
    typeof file.jws !== 'string' ||
    (file.timestamp !== undefined &&
      (typeof file.timestamp !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(file.timestamp)))
  )
    throw invalid('the checkpoint file has an unknown shape');
  let kid: unknown;
  try {
    const header = JSON.parse(Buffer.from(file.jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      kid?: unknown;
      typ?: unknown;
      alg?: unknown;
    };
    if (header.typ !== TYP || header.alg !== 'ES256') throw new TypeError('wrong typ or alg');
    kid = header.kid;
  } catch (cause) {
    throw invalid('the checkpoint JWS header is not valid', cause);
  }
  const stored = (await keys?.signingKeys?.(AUDIT_SIGNING_PURPOSE))?.find((k) => k.keyId === kid);
  const jwk = stored?.publicJwk ?? (options.trustFileKey === true ? file.publicJwk : undefined);
  if (jwk === undefined) throw invalid(`the key store has no audit key ${String(kid)}`);
  let payload: AuditCheckpointPayload;
  try {
    const r = await compactVerify(file.jws, await importJWK({ ...jwk }, 'ES256'), { algorithms: ['ES256'] });
    payload = JSON.parse(new TextDecoder().decode(r.payload)) as AuditCheckpointPayload;
  } catch (cause) {
    throw invalid('the checkpoint signature does not verify', cause);
  }
  if (
    payload.v !== 1 ||
    typeof payload.seq !== 'string' ||
    !/^(0|[1-9]\d{0,18})$/.test(payload.seq) ||
    typeof payload.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(payload.hash) ||
    typeof payload.at !== 'string' ||
    Number.isNaN(Date.parse(payload.at))
  )
    throw invalid('the checkpoint payload has an unknown shape');
  return {
    seq: BigInt(payload.seq),
    hash: new Uint8Array(Buffer.from(payload.hash, 'hex')),
    at: new Date(payload.at),
    keyId: String(kid),
    jws: file.jws,
    ...(file.timestamp === undefined ? {} : { timestampToken: file.timestamp }),
  };
}

/**
 * The checkpoint with the highest sequence number in `dir`, verified; undefined when there is none.
 * A file that does not verify is an error, not skipped: it may be the one that matters.
 */
export async function readLatestAuditCheckpoint(
  dir: string,
  keys: KeyStore | undefined,
  options: { trustFileKey?: boolean } = {},
): Promise<AuditCheckpoint | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
  const latest = names
    .filter((n) => FILE.test(n))
    .sort()
    .pop();
  if (latest === undefined) return undefined;
  const path = join(dir, latest);
  const cp = await readAuditCheckpoint(await readFile(path, 'utf8'), keys, options);
  if (latest !== `audit-checkpoint-${cp.seq.toString().padStart(20, '0')}.json`)
    throw invalid(`${latest} holds the checkpoint of record ${cp.seq.toString()}`);
  return { ...cp, file: path };
}
