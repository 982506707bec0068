/**
 * Test fixtures: a software CA with an RSA signer (for the format tests), Watashi's TSA under its
 * own root (and an unrelated one), and openssl in a temp dir as the independent check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCertificate,
  encodeName,
  ext,
  nameFrom,
  OID,
  parseCertificate,
  toPem,
  type Certificate,
  type TimeStampAuthority,
} from '@watashi/pki';
import { nodeGenerateKey, nodeSigner } from '@watashi/pki/node';
import { keySigner, type DocumentSigner } from '../src/index.ts';

/** A software CA, one signer under it, and the root parsed. */
export interface SoftwarePki {
  readonly root: Uint8Array;
  readonly rootCert: Certificate;
  readonly signer: DocumentSigner;
}

/** A root and an RSA signing certificate (nonRepudiation) valid 2020–2040. */
export async function softwarePki(cn = 'Taro Test'): Promise<SoftwarePki> {
  const rootKey = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
  const rootName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'Watashi Test'],
      ['CN', 'Signing Root'],
    ]),
  );
  const from = new Date('2020-01-01T00:00:00Z');
  const to = new Date('2040-01-01T00:00:00Z');
  const root = await buildCertificate(
    {
      serial: 1n,
      issuer: rootName,
      subject: rootName,
      notBefore: from,
      notAfter: to,
      spki: rootKey.spki,
      extensions: [ext.basicConstraints(true), ext.keyUsage(['keyCertSign', 'cRLSign'])],
    },
    rootKey,
  );
  const key = nodeSigner(nodeGenerateKey('RSA-SHA256'), 'RSA-SHA256');
  const cert = await buildCertificate(
    {
      serial: 100n,
      issuer: rootName,
      subject: encodeName(
        nameFrom([
          ['C', 'JP'],
          ['CN', cn],
        ]),
      ),
      notBefore: from,
      notAfter: to,
      spki: key.spki,
      extensions: [ext.basicConstraints(false), ext.keyUsage(['digitalSignature', 'nonRepudiation'])],
    },
    rootKey,
  );
  return { root, rootCert: parseCertificate(root), signer: keySigner(key, cert, [root]) };
}

/** A TSA: root, certificate (EKU timeStamping, critical) and authority with the given clock. */
export async function testTsa(
  name: string,
  now: () => Date,
): Promise<{ root: Certificate; authority: TimeStampAuthority }> {
  const rootKey = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const rootName = encodeName(
    nameFrom([
      ['C', 'JP'],
      ['O', 'Watashi Test'],
      ['CN', `${name} TSA Root`],
    ]),
  );
  const from = new Date('2020-01-01T00:00:00Z');
  const to = new Date('2045-01-01T00:00:00Z');
  const root = await buildCertificate(
    {
      serial: 1n,
      issuer: rootName,
      subject: rootName,
      notBefore: from,
      notAfter: to,
      spki: rootKey.spki,
      extensions: [ext.basicConstraints(true), ext.keyUsage(['keyCertSign', 'cRLSign'])],
    },
    rootKey,
  );
  const key = nodeSigner(nodeGenerateKey('ECDSA-SHA256'), 'ECDSA-SHA256');
  const certificate = await buildCertificate(
    {
      serial: 2n,
      issuer: rootName,
      subject: encodeName(
        nameFrom([
          ['C', 'JP'],
          ['O', 'Watashi Test'],
          ['CN', `${name} TSA`],
        ]),
      ),
      notBefore: from,
      notAfter: to,
      spki: key.spki,
      extensions: [
        ext.basicConstraints(false),
        ext.keyUsage(['digitalSignature']),
        ext.extKeyUsage([OID.kpTimeStamping], true),
      ],
    },
    rootKey,
  );
  return {
    root: parseCertificate(root),
    authority: { signer: key, certificate, chain: [root], policy: '1.3.6.1.4.1.99999.2', now },
  };
}

/** openssl in a private temp dir. */
export function openssl(): {
  dir: string;
  write(name: string, data: Uint8Array | string): string;
  pem(name: string, der: Uint8Array): string;
  run(args: string[]): { code: number; out: string };
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-sig-'));
  const write = (name: string, data: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  return {
    dir,
    write,
    pem: (name, der) => write(name, toPem(der, 'CERTIFICATE')),
    run(args) {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a command and returns stdout (throws on failure). */
export const sh = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A one-page PDF 1.7 with a classic cross-reference table and the given text. */
export function minimalPdf(text = 'Watashi test document'): Uint8Array {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const b = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) b[i] = out.charCodeAt(i) & 0xff;
  return b;
}
