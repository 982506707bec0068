/**
 * A device that dies between issuance and activation (devices/lifecycle.test.ts): it makes a
 * WebCrypto P-256 key, asks the platform at WATASHI_URL for a certificate in the session
 * WATASHI_COOKIE (slot WATASHI_SLOT), prints the answer as one JSON line, and then waits — the test
 * kills it with SIGKILL before it can activate.
 */
import { buildCertificationRequest } from '@watashi/ca';
import { generateKeyPair, toBase64, webCryptoSigner } from '@watashi/pki';

const url = process.env['WATASHI_URL']!;
const cookie = process.env['WATASHI_COOKIE']!;
const pair = await generateKeyPair('ECDSA-SHA256');
const csr = await buildCertificationRequest(await webCryptoSigner(pair, 'ECDSA-SHA256'));
const res = await fetch(`${url}/api/devices/certificates`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', cookie },
  body: JSON.stringify({
    csr: toBase64(csr),
    profile: 'watashi-device-auth',
    slot: process.env['WATASHI_SLOT'] ?? 'phone',
    keyStorage: 'webcrypto',
  }),
});
process.stdout.write(`${JSON.stringify({ status: res.status, body: (await res.json()) as unknown })}\n`);
// The activation would come next; the process is killed here.
setInterval(() => undefined, 1 << 30);
