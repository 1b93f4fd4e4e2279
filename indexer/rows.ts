import type { Hex } from "viem";

/** The parts of a Ponder event that locate a log on chain. */
export type LocatedEvent = {
  block: { number: bigint; hash: Hex; timestamp: bigint };
  transaction: { hash: Hex };
  log: { logIndex: number };
};

/** Row id of an event: `<chainId>:<transaction hash>:<log index>`. */
export function eventId(chainId: number, event: LocatedEvent): string {
  return `${chainId}:${event.transaction.hash}:${event.log.logIndex}`;
}

/** The columns every event row carries (see `eventColumns` in ponder.schema.ts). */
export function eventFields(chainId: number, event: LocatedEvent) {
  return {
    chainId,
    blockNumber: event.block.number,
    blockHash: event.block.hash,
    blockTimestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  };
}
