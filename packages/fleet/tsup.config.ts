import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    gateway: 'src/gateway.ts',
    // Started by path in child processes by launchFleet(), not imported: its own file in dist.
    'role-main': 'src/node/role-main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CJS build: launchFleet() finds its replica entry next to itself.
  shims: true,
  // The dashboard's files, read next to the gateway module (`./public/…`).
  onSuccess: async () => {
    const { cpSync } = await import('node:fs');
    cpSync('src/gateway/public', 'dist/public', { recursive: true });
  },
});
