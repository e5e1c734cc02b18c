/**
 * Our RPC server on the real broker with queue settings operators turn on, and
 * with queues an operator (or a lost cluster node) takes away underneath it:
 * - rabbit_quorum_queue: RabbitMQ refuses to consume a quorum queue on a
 *   channel with global QoS, so the prefetch must be per consumer (as oslo's
 *   basic_qos(0, n, False));
 * - a deleted queue: the broker cancels its consumer; the service must
 *   re-declare and consume again instead of staying connected and deaf.
 */
import amqp from 'amqplib';
import { afterAll, describe, expect, test } from 'vitest';
import type { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import { RpcClient } from '../../../src/rpc/rpc-client.js';
import { RpcServer } from '../../../src/rpc/rpc-server.js';
import { DEFAULT_TOPOLOGY_FLAGS, type TopologyFlags } from '../../../src/rpc/topology.js';
import { echoEndpoint } from '../../fixtures/echo-endpoint.js';
import { AMQP_URL, capturingLogger, deleteTopology, testBus, testNames, uniqueName, waitFor } from './rpc-test-env.js';

const SERVER = 'srv';
const cleanUps: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of cleanUps.reverse()) await c().catch(() => undefined);
});

/** A server and a client of our own on a fresh topic with `flags`. */
async function startPair(prefix: string, flags: TopologyFlags): Promise<{ server: RpcServer; client: RpcClient; bus: AmqpBus; topic: string; log: ReturnType<typeof capturingLogger> }> {
  const { exchange, topic } = testNames(prefix);
  const log = capturingLogger();
  const bus = testBus(uniqueName(`${prefix}-server`), log.logger);
  const clientBus = testBus(uniqueName(`${prefix}-client`), capturingLogger().logger);
  cleanUps.push(async () => {
    await deleteTopology({ queues: [topic, `${topic}.${SERVER}`], exchanges: [exchange] });
  });
  await bus.start();
  cleanUps.push(() => bus.close());
  const server = new RpcServer({ bus, exchange, topic, server: SERVER, flags, endpoints: [echoEndpoint()], pingEnabled: false, maxInFlight: 8, logger: log.logger });
  cleanUps.push(async () => {
    await server.stop(2000);
  });
  await server.start();
  await clientBus.start();
  cleanUps.push(() => clientBus.close());
  const client = new RpcClient({ bus: clientBus, exchange, topic, server: SERVER, timeoutMs: 10_000, flags });
  cleanUps.push(() => client.close());
  return { server, client, bus, topic, log };
}

describe('queue policies on the real broker', () => {
  test('rabbit_quorum_queue: the server consumes its quorum queues and answers calls', async () => {
    const { client, topic } = await startPair('ndb-qq', { ...DEFAULT_TOPOLOGY_FLAGS, rabbitQuorumQueue: true });
    expect(await client.call('echo', { n: 1 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
    // The queue really is a quorum queue: redeclaring it as classic is refused (406).
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await expect(ch.assertQueue(`${topic}.${SERVER}`, { durable: true })).rejects.toThrow(/PRECONDITION_FAILED|x-queue-type/);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  test('a server queue deleted under a running server is re-declared and served again', async () => {
    const { client, bus, topic, log } = await startPair('ndb-del', DEFAULT_TOPOLOGY_FLAGS);
    expect(await client.call('echo', { n: 1 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      await ch.deleteQueue(`${topic}.${SERVER}`);
    } finally {
      await conn.close().catch(() => undefined);
    }
    await waitFor(() => log.lines().some((l) => String(l.msg ?? l.message ?? '').includes('consumer cancelled by the broker')), { what: 'the server to notice its consumer was cancelled' });
    await waitFor(() => bus.isConnected, { what: 'the bus to reconnect' });
    expect(await client.call('echo', { n: 2 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 2 } });
  });
});
