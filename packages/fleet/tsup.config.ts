import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
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
});
