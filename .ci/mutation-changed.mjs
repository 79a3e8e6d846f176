// Mutation-tests the lines of core's mutation-tested files (packages/core/stryker.config.mjs `mutate`)
// that this change touches, against the merge base with main (on main itself: the last commit), and
// fails when their mutation score is below MUTATION_BREAK (default 90). Nothing changed there: exit 0.
// Equivalent mutants are marked in the source with `// Stryker disable next-line <mutator>: <why>`
// (docs/guides/mutation-testing.md), so they never count against the score.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'packages/core');
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const tryGit = (...args) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

const threshold = Number(process.env.MUTATION_BREAK ?? 90);
const ref =
  process.env.MUTATION_BASE ?? ['main', 'origin/main'].find((r) => tryGit('rev-parse', '--verify', '-q', r));
let base = ref && tryGit('merge-base', 'HEAD', ref);
if (base && base === tryGit('rev-parse', 'HEAD')) base = tryGit('rev-parse', '--verify', '-q', 'HEAD~1');
if (!base) {
  console.log('mutation: no base to compare with (no main, no parent commit); nothing to do');
  process.exit(0);
}

const { default: config } = await import(pathToFileURL(join(core, 'stryker.config.mjs')).href);
const tested = new Set(config.mutate);

// Changed line ranges (new side) of the tested files: committed since the base and uncommitted.
const ranges = [];
const diff = git('diff', '-U0', '--no-color', base, '--', 'packages/core/src');
let file;
for (const line of diff.split('\n')) {
  const target = /^\+\+\+ b\/packages\/core\/(.+)$/.exec(line);
  if (target) {
    file = tested.has(target[1]) ? target[1] : undefined;
    continue;
  }
  if (line.startsWith('+++ ')) file = undefined; // deleted file
  const hunk = /^@@ -\S+ \+(\d+)(?:,(\d+))? @@/.exec(line);
  if (file && hunk) {
    const start = Number(hunk[1]);
    const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
    if (count > 0) ranges.push(`${file}:${start}-${start + count - 1}`);
  }
}
if (ranges.length === 0) {
  console.log(`mutation: no mutation-tested core line changed since ${base.slice(0, 10)}; nothing to do`);
  process.exit(0);
}
console.log(`mutation: ${ranges.length} changed range(s) since ${base.slice(0, 10)}: ${ranges.join(' ')}`);

if (!existsSync(join(root, 'node_modules/@stryker-mutator/core/package.json'))) {
  console.error('mutation: @stryker-mutator/core is not installed (a root devDependency): run npm install');
  process.exit(1);
}
const report = join(core, 'reports/mutation/mutation.json');
rmSync(report, { force: true });
const stryker = ['stryker', 'run', '--mutate', ranges.join(','), '--reporters', 'json,clear-text'];
// Heavy runs take turns on a shared machine.
const hasFlock = spawnSync('flock', ['--version']).status === 0;
const command = hasFlock ? ['flock', '/tmp/rxtrade-heavy.lock', 'npx', ...stryker] : ['npx', ...stryker];
const run = spawnSync(command[0], command.slice(1), { cwd: core, stdio: 'inherit' });
if (run.status !== 0 || !existsSync(report)) {
  console.error('mutation: stryker failed');
  process.exit(1);
}

const files = JSON.parse(readFileSync(report, 'utf8')).files;
let detected = 0;
let total = 0;
const survivors = [];
for (const [name, f] of Object.entries(files)) {
  for (const m of f.mutants) {
    if (m.status === 'Killed' || m.status === 'Timeout') detected++;
    if (['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(m.status)) total++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      survivors.push(`${name}:${m.location.start.line} ${m.mutatorName} → ${JSON.stringify(m.replacement)}`);
    }
  }
}
const score = total === 0 ? 100 : (100 * detected) / total;
console.log(
  `mutation: ${score.toFixed(1)} % of ${total} mutant(s) on the changed lines detected (break at ${threshold} %)`,
);
for (const s of survivors) console.log(`  survived: ${s}`);
if (score < threshold) {
  console.error(
    'mutation: kill the survivors with a test, or mark an equivalent one (docs/guides/mutation-testing.md)',
  );
  process.exit(1);
}
