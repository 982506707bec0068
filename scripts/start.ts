/**
 * `npm start`: the main job on embedded defaults, for a first look and for development.
 *
 * In one process: the J-LIS simulator (clearly labelled as such) with a fixed seed, the platform on
 * the embedded database (PGlite) in simulation mode, and the wallet it serves (built first when its
 * sources changed: packages/wallet/build.ts). On the first
 * start it creates a few demo residents with cards and known PINs; it prints where everything is
 * and what to click. State persists between starts under `.data/`; delete it to begin again.
 * Environment: WATASHI_DATA_DIR (default .data), WATASHI_SIM_PORT (default 8790),
 * WATASHI_PORT (platform, default 8780), WATASHI_HOST (default 127.0.0.1).
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startSimulator } from '@watashi/jlis-sim';
import type { ResidentView } from '@watashi/jlis-sim';
import { createPlatform } from '@watashi/platform';
import { ensureWalletBuilt } from '@watashi/wallet/build';

const dataDir = process.env.WATASHI_DATA_DIR ?? '.data';
const simPort = Number(process.env.WATASHI_SIM_PORT ?? 8790);
const host = process.env.WATASHI_HOST ?? '127.0.0.1';
/** A free TCP port on `host` (for WATASHI_PORT=0: the wallet origin must be known before anything starts). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
const requestedPort = Number(process.env.WATASHI_PORT ?? 8780);
const platformPort = requestedPort === 0 ? await freePort() : requestedPort;
/**
 * The wallet's origin, which the simulator lets drive its hosted cards from the browser. Browsers
 * refuse WebAuthn on an IP address, so a loopback host is published as `localhost`.
 */
const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
const walletOrigin = `http://${loopback ? 'localhost' : host}:${platformPort}`;

/** Demo PINs. A real card's PINs are chosen by the resident at the counter (docs/jpki.md §3.5). */
const DEMO_SIGN_PIN = 'DEMO2026';
const DEMO_AUTH_PIN = '1234';

/** The demo residents: adults of both card generations, one needing substitute characters, one minor. */
const DEMO: ReadonlyArray<{
  readonly name: string;
  readonly address: string;
  readonly birthDate: string;
  readonly sex: '1' | '2' | '3';
  readonly generation?: string;
  readonly smartphone?: 'android';
}> = [
  { name: '山田　花子', address: '東京都千代田区霞が関２丁目１番２号', birthDate: '1988-04-12', sex: '2' },
  {
    name: '髙橋　一郎',
    address: '大阪府大阪市北区中之島１丁目３番２０号',
    birthDate: '1975-11-30',
    sex: '1',
    generation: '2019',
  },
  {
    name: '佐藤　美咲',
    address: '北海道札幌市中央区北１条西２丁目',
    birthDate: '2000-02-29',
    sex: '2',
    smartphone: 'android',
  },
  { name: '鈴木　翔太', address: '福岡県福岡市中央区天神１丁目８番１号', birthDate: '2014-06-01', sex: '1' },
];

const sim = await startSimulator(
  {
    dataDir: join(dataDir, 'jlis-sim'),
    seed: 'watashi-demo',
    port: simPort,
    host,
    logLevel: 'warn',
    cardOrigins: [walletOrigin],
  },
  { print: (t) => process.stdout.write(t) },
);

let residents: ResidentView[] = sim.sim.listResidents();
if (residents.length === 0) {
  for (const d of DEMO) {
    const r = await sim.sim.addResident({
      name: d.name,
      address: d.address,
      birthDate: d.birthDate,
      sex: d.sex,
    });
    await sim.sim.issueCard(r.id, {
      signPin: DEMO_SIGN_PIN,
      authPin: DEMO_AUTH_PIN,
      generation: d.generation,
      smartphone: d.smartphone,
    });
  }
  await sim.sim.publishCrls();
  sim.sim.refreshOcsp();
  residents = sim.sim.listResidents();
}

const base = sim.sim.info().baseUrl;

// The wallet (packages/wallet) is served from its build: made here when the sources are newer.
if (await ensureWalletBuilt()) process.stdout.write('wallet built (packages/wallet/dist)\n');

const platform = await createPlatform({
  mode: 'simulation',
  host,
  port: platformPort,
  publicUrl: walletOrigin,
  dataDir: join(dataDir, 'platform'),
  jlis: { kind: 'simulator', url: base },
  logLevel: 'warn',
});
await platform.listen();
const platformUrl = walletOrigin;
const lines: string[] = [
  '',
  `Watashi platform: ${platformUrl}  (embedded database in ${join(dataDir, 'platform')})`,
  `  wallet:          ${platformUrl}/wallet/   ← start here`,
  `  assurance table: ${platformUrl}/assurance`,
  `J-LIS simulator:  ${base}  (SIMULATOR — synthetic residents, never trusted in production)`,
  '',
  'Demo residents (synthetic) and their cards:',
  '',
];
for (const r of residents) {
  const cards = r.tokens.filter((t) => t.status === 'active');
  const label = cards.map(
    (t) => `${t.kind} ${t.id}${t.signSerial ? '' : ' (no signing certificate: under 15)'}`,
  );
  lines.push(`  ${r.id}  ${r.name}  born ${r.birthDate}  ${label.join(', ')}`);
}
const card = residents[0]?.tokens.find((t) => t.kind === 'card' && t.status === 'active');
lines.push(
  '',
  `Demo PINs: signing password ${DEMO_SIGN_PIN}, user-authentication PIN ${DEMO_AUTH_PIN} (5 and 3 tries before the card locks).`,
  '',
  'Try this in a browser:',
  `  1. open ${platformUrl}/wallet/enrol (or ${platformUrl}/ and 本人確認), pick card ${card?.id ?? '<card>'} (${residents[0]?.name ?? ''}), type the signing password ${DEMO_SIGN_PIN}, sign`,
  '  2. you are signed in: register a passkey on the next page (your browser or phone asks to create it)',
  `  3. sign out, then sign in again at ${platformUrl}/wallet/login with the passkey; see ${platformUrl}/wallet/account`,
  '',
  'And in another terminal:',
  `  npx watashi sim info                                   # CA certificates, CRL and OCSP URLs`,
  `  npx watashi card pin-status ${card?.id ?? '<card>'}`,
  `  npx watashi card export ${card?.id ?? '<card>'} --what sign-cert --pin ${DEMO_SIGN_PIN} --out sign.der`,
  `  npx watashi card export ${card?.id ?? '<card>'} --what sign-ca --pem --out sign-ca.pem`,
  `  openssl x509 -inform DER -in sign.der -noout -text     # the basic 4 information in subjectAltName`,
  `  openssl ocsp -issuer sign-ca.pem -cert sign.der -url ${base}/ocsp -CAfile sign-ca.pem -resp_text`,
  `  npx watashi sim event move ${residents[0]?.id ?? '<resident>'}               # signing certificate → revoked (affiliationChanged)`,
  `  npx watashi sim crl publish`,
  `  curl -s ${base}/openapi.json | head                  # the simulator's HTTP API`,
  '',
  'Stop with Ctrl-C. State is kept in ' + join(dataDir, 'jlis-sim') + '; delete it to start over.',
  '',
);
process.stdout.write(lines.join('\n'));

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  // A second signal while draining means "now" (docs/operations.md, graceful shutdown).
  if (stopping) {
    process.stderr.write(`${signal} again, exiting without draining\n`);
    process.exit(1);
  }
  stopping = true;
  process.stderr.write(
    `${signal}: stopping (in-flight requests have ${platform.deps.config.operations.drainTimeoutSeconds} s)\n`,
  );
  void platform
    .close()
    .then(() => sim.close())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
