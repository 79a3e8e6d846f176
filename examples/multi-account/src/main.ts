// Two accounts at two brokers, two signal strategies, one daily-loss halt. Run: npm start
import { runMultiAccount } from './scenario';

await runMultiAccount((line) => console.log(line));
