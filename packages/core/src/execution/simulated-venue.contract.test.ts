import { describe } from 'vitest';
import { defineInstrument } from '../model/instrument';
import { ManualClock } from '../ports/clock';
import { executionClientContract } from '../testing/contracts/execution-client-contract';
import { SimulatedVenue } from './simulated-venue';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);

describe('SimulatedVenue', () => {
  executionClientContract({
    amends: true,
    create: () => {
      const clock = new ManualClock(T0);
      // Whole shares on a 5-cent tick; volume-limited so that a bar's volume sets how much fills.
      const instrument = defineInstrument({
        id: 'SPX',
        pricePrecision: 2,
        quantityPrecision: 0,
        tickSize: 0.05,
        takerFee: 0.001,
      });
      const venue = new SimulatedVenue({ instruments: [instrument], clock, maxVolumeShare: 1 });
      let bars = 0;
      return {
        client: venue,
        instrument: { id: 'SPX', quantityPrecision: 0 },
        quantity: 10,
        restingBuyPrice: 90,
        offGrid: { quantity: 0.5 },
        // A bar that trades down through the resting buy limit at 90 (market orders fill at its
        // open), with as much volume as should fill.
        fill: (_clientOrderId, quantity) => {
          clock.set(T0 + ++bars * MIN);
          venue.processBar({
            symbol: 'SPX',
            ts: clock.now(),
            open: 100,
            high: 101,
            low: 89,
            close: 95,
            volume: quantity ?? 1_000_000,
          });
        },
      };
    },
  });
});
