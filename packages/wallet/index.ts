/**
 * `@watashi/wallet` for Node: where the built wallet lives, for the platform to serve
 * (packages/platform/src/wallet/routes.ts). The build itself is `build.ts`.
 */
import { fileURLToPath } from 'node:url';

/** The directory of the built wallet (`dist/`, made by `build.ts`; git-ignored). */
export const walletDistDir: string = fileURLToPath(new URL('./dist/', import.meta.url));
