// Test helpers: run the openssl CLI on files in a private temp dir (the independent check of
// everything pki produces, docs/conventions.md §11).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp dir with helpers to write files and run openssl in it. */
export function opensslWorkspace(): {
  dir: string;
  write(name: string, data: Uint8Array | string): string;
  run(args: string[]): { code: number; out: string };
  ok(args: string[]): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'watashi-openssl-'));
  return {
    dir,
    write(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    run(args) {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
    ok(args) {
      return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
