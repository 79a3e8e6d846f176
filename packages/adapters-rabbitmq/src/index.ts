/**
 * RabbitMQ: the MessageBus between the fleet's processes.
 *
 * @module @rxtrade/rabbitmq
 */
export type { BackoffPolicy } from './backoff';
export { createMemoryDedupeStore, type DedupeStore, type MemoryDedupeStoreOptions } from './dedupe-store';
export { type DeletedTopology, type DeleteTopologyOptions, deleteTopology } from './delete-topology';
export { type DeadLetterCommandIo, runDeadLetterCommand } from './dlq-command';
export type {
  RabbitMqBusSettings,
  RabbitMqConnectionOptions,
  RabbitMqMessageBusOptions,
  RabbitMqUrlOptions,
  ReconnectOptions,
} from './options';
export { type BusUse, type RabbitMqPermissions, rabbitMqPermissions } from './permissions';
export type { PublisherStats } from './publisher';
export type { ConsumerStats } from './queue-consumer';
export {
  createRabbitMqMessageBus,
  type RabbitMqBusStats,
  type RabbitMqMessageBus,
  type RabbitMqTopology,
} from './rabbitmq-message-bus';
export type { ReplyOptions, RequestHandler, RequestOptions } from './request-reply';
