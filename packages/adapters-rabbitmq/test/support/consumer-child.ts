// A group member in its own process, for the SIGKILL test: applies each message to the ledger,
// then keeps working a little before returning (so a kill lands between effect and ack).
import { createRabbitMqMessageBus } from '../../src/index';
import { Ledger } from './ledger';

const [url, exchange, pattern, group, ledgerPath] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const ledger = new Ledger(ledgerPath);
const bus = await createRabbitMqMessageBus({
  url,
  exchange,
  connectionName: `${exchange}-child`,
  dedupe: ledger.dedupe(),
  prefetch: 20,
});
await bus.subscribe(
  pattern,
  async (message) => {
    ledger.apply(message.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
  },
  { group },
);
process.send?.('ready');
