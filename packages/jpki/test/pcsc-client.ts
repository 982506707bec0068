/**
 * Child-process half of pcsc.e2e.test.ts: drives the card through pcscd with PcscTransport +
 * JpkiCardClient and prints a JSON report. It must run outside the test process: `smartcard` makes
 * some PC/SC calls synchronously (listReaders, disconnect, context close), and pcscd may need the
 * virtual card — served by the test process's event loop — to complete them, which would deadlock.
 *
 * Usage: node --import tsx pcsc-client.ts <reader> <empty reader> <hex data to sign>
 */
import { isWatashiError, toHex, fromHex } from '@watashi/pki';
import { JpkiCardClient } from '@watashi/jpki';
import { PcscTransport } from '@watashi/jpki/pcsc';

const [reader = '', emptyReader = '', dataHex = ''] = process.argv.slice(2);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return isWatashiError(e) ? e.code : `unexpected: ${String(e)}`;
  }
}

const readers = await PcscTransport.listReaders();
const emptyReaderError = await codeOf(PcscTransport.connect({ reader: emptyReader }));
const t = await PcscTransport.connect({ reader, timeoutMs: 10_000 });
try {
  const client = new JpkiCardClient(t);
  const report = {
    readers,
    emptyReaderError,
    readerName: t.readerName,
    atr: toHex(t.atr),
    token: await client.readTokenInfo(),
    signTries: await client.pinStatus('sign'),
    authCert: toHex(await client.readCertificate('auth')),
    signCertWithoutPin: await codeOf(client.readCertificate('sign')),
    signCert: '',
    signature: '',
  };
  await client.verifyPin('sign', 'watashi1');
  report.signCert = toHex(await client.readCertificate('sign'));
  report.signature = toHex(await client.sign('sign', 'WATASHI1', fromHex(dataHex)));
  process.stdout.write(JSON.stringify(report));
} finally {
  await t.close();
}
