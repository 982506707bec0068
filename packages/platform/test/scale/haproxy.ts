/**
 * A private HAProxy (Debian's 2.6) for tests: HTTP round-robin over platform instances, each
 * health-checked on `GET /health` every 300 ms, down after two failed checks. Only connection
 * failures are retried elsewhere (HAProxy's default `retry-on conn-failure`): a request that
 * reached an instance is never sent twice, so a killed instance shows up as 502/503 to the client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startChild, waitFor } from './processes.ts';

/** A running HAProxy. */
export interface TestHaproxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts HAProxy in the foreground in front of `backends` (ports on 127.0.0.1). */
export async function startHaproxy(backends: readonly number[], port?: number): Promise<TestHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'whap-'));
  const listen = port ?? (await freePort());
  const cfg = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 3',
    '  option redispatch',
    'frontend watashi',
    `  bind 127.0.0.1:${listen}`,
    '  default_backend instances',
    'backend instances',
    '  balance roundrobin',
    '  option httpchk GET /health',
    '  default-server inter 300ms fall 2 rise 1',
    ...backends.map((p, i) => `  server w${i} 127.0.0.1:${p} check`),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child = startChild('/usr/sbin/haproxy', ['-db', '-f', file]);
  const url = `http://127.0.0.1:${listen}`;
  await waitFor('HAProxy', async () => {
    if (child.process.exitCode !== null) throw new Error(`haproxy exited: ${child.output()}`);
    try {
      return (await fetch(`${url}/health`)).status === 200;
    } catch {
      return false;
    }
  });
  return {
    url,
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
