// The project's runtime: every check runs on the Node the project brings (package.json
// optionalDependencies node-linux-<arch>), and the libraries that judge their runtime accept it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};

describe('runtime', () => {
  it('ok-the-suite-runs-on-the-pinned-node', () => {
    const pinned = pkg.optionalDependencies[`node-${process.platform}-${process.arch}`];
    expect(pinned).toBeDefined();
    expect(process.versions.node).toBe(pinned);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(process.release.lts).toBeTruthy();
  });

  it('ok-oidc-provider-starts-without-a-runtime-warning', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('oidc-provider')"], {
      cwd: new URL('../packages/platform/', import.meta.url),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unsupported runtime/);
  });
});
