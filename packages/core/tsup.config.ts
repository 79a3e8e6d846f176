import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    'testing/index': 'src/testing/index.ts',
    // Loaded by path in worker threads by optimize(), not imported: it must be its own file in dist.
    'strategy/optimize-worker': 'src/strategy/optimize-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['vitest'],
});
