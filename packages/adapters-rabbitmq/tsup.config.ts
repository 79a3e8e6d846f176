import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'bin/rxtrade-dlq': 'src/bin/rxtrade-dlq.ts' },
  dts: { entry: { index: 'src/index.ts' } },
  format: ['esm', 'cjs'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@rxtrade/core', 'amqplib'],
});
