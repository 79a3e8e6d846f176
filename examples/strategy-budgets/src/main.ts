// Two strategies on one account, each held to its own cash budget. Run: npm start
import { mkdir, writeFile } from 'node:fs/promises';
import { runStrategyBudgets } from './scenario';

const { html } = await runStrategyBudgets((line) => console.log(line));
await mkdir('reports', { recursive: true });
await writeFile('reports/strategy-budgets.html', html);
console.log('report: reports/strategy-budgets.html');
