import { describe } from 'vitest';
import { lockManagerContract } from '../testing/contracts/lock-manager-contract';
import { messageBusContract } from '../testing/contracts/message-bus-contract';
import { stateStoreContract } from '../testing/contracts/state-store-contract';
import { createMemoryLockManager } from './lock-manager';
import { createMemoryMessageBus } from './message-bus';
import { createMemoryStateStore } from './state-store';

describe('memory StateStore', () => stateStoreContract({ create: () => createMemoryStateStore() }));

describe('memory LockManager', () => {
  lockManagerContract({
    create: () => {
      const store = createMemoryStateStore();
      return { locks: createMemoryLockManager(), store };
    },
  });
});

describe('memory MessageBus', () => messageBusContract({ create: (deps) => createMemoryMessageBus(deps) }));
