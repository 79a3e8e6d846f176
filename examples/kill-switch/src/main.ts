// The kill switch: halt, cancel and flatten in one call; only cancels pass while HALTED. Run: npm start
import { runKillSwitch } from './scenario';

await runKillSwitch((line) => console.log(line));
