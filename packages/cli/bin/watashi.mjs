#!/usr/bin/env node
// The `watashi` command. Source is TypeScript run through tsx (Node 20 has no type stripping).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
