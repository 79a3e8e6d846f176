import { FleetJournal } from '@rxtrade/fleet';
import type { ServiceContext } from './harness';

/**
 * The fleet journal every service of one fleet shares (bar frames, each partition's inputs), in the
 * fleet's StateStore under its prefix: the data service writes frames before it publishes them,
 * strategy, risk and order replicas read them back when they take a partition over.
 */
export function openJournal(ctx: Pick<ServiceContext, 'store'>): FleetJournal {
  return new FleetJournal(ctx.store, 'fleet');
}
