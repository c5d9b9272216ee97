import { UnrecoverableError } from 'bullmq';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * The payload of every queue, as a schema checked before any work: a job that does not match (an old deployment's
 * shape, a hand-added job, corrupted data) fails at once as unrecoverable instead of doing something half-right.
 * Payloads carry ids and ranges only, never followers or article bodies.
 */
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
/** Which attempt a job is; PostgreSQL counts failed attempts and names each job after the one it runs. */
const Attempt = Type.Integer({ minimum: 0, maximum: 10_000 });

export const PAYLOAD_SCHEMAS = {
  'broadcast-fanout': Type.Object({ accountId: Id, broadcastId: Id, attempt: Attempt }, { additionalProperties: false }),
  'broadcast-batch': Type.Object(
    { accountId: Id, broadcastId: Id, seq: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }), attempt: Attempt },
    { additionalProperties: false },
  ),
  /** Periodic upkeep run by a job scheduler, so one worker of the fleet does it per interval. */
  maintenance: Type.Object({ task: Type.Literal('sweep-broadcasts') }, { additionalProperties: false }),
};

export type PayloadQueueName = keyof typeof PAYLOAD_SCHEMAS;
export type QueuePayloads = { [Name in PayloadQueueName]: Static<(typeof PAYLOAD_SCHEMAS)[Name]> };

const checkers = Object.fromEntries(Object.entries(PAYLOAD_SCHEMAS).map(([name, schema]) => [name, Compile(schema)])) as {
  [Name in PayloadQueueName]: ReturnType<typeof Compile<(typeof PAYLOAD_SCHEMAS)[Name]>>;
};

/** Whether `data` is a valid payload of the queue (for listeners, which must not throw). */
export function isPayload<Name extends PayloadQueueName>(queue: Name, data: unknown): data is QueuePayloads[Name] {
  return checkers[queue].Check(data);
}

/** Returns the payload typed, or throws an UnrecoverableError naming what is wrong (BullMQ then does not retry). */
export function validatePayload<Name extends PayloadQueueName>(queue: Name, data: unknown): QueuePayloads[Name] {
  const checker = checkers[queue];
  if (checker.Check(data)) return data as QueuePayloads[Name];
  const problems = [...checker.Errors(data)].map((error) => `${error.instancePath || '/'} ${error.message}`);
  throw new UnrecoverableError(`invalid ${queue} job payload: ${problems.join('; ')}`);
}
