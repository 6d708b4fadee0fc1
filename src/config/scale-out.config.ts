import * as Joi from 'joi';
import { QUEUE_NAMES, QueueName } from '../job-definitions/queue-names';
import { QUEUE_DEFINITIONS } from './queues.config';

/** How many jobs a worker process runs at once per queue, and the Redis Cluster to run on. */
export interface ScaleOutEnvironment {
  WORKER_CONCURRENCY_MONEY: number;
  WORKER_CONCURRENCY_COMMUNICATION: number;
  WORKER_CONCURRENCY_BACKGROUND: number;
  /** `host:port` seed nodes, comma-separated; absent: a single Redis at REDIS_URL. */
  REDIS_CLUSTER_NODES?: string;
}

const concurrencyVariable = (queue: QueueName) => `WORKER_CONCURRENCY_${queue.toUpperCase()}` as keyof ScaleOutEnvironment;

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

export const SCALE_OUT_ENVIRONMENT_SCHEMA = {
  ...Object.fromEntries(
    QUEUE_NAMES.map((queue) => [concurrencyVariable(queue), Joi.number().integer().min(1).max(500).default(QUEUE_DEFINITIONS[queue].concurrency)]),
  ),
  REDIS_CLUSTER_NODES: Joi.string()
    .trim()
    .custom((value: string, helpers) => {
      const nodes = value.split(',').map((node) => node.trim());
      const valid = nodes.every((node) => HOST_PORT.test(node) && Number(node.slice(node.lastIndexOf(':') + 1)) <= 65535);
      return valid ? nodes.join(',') : helpers.message({ custom: '{{#label}} must be a comma-separated list of host:port' });
    })
    .optional(),
};

export interface ClusterNode {
  host: string;
  port: number;
}

export function workerConcurrency(env: ScaleOutEnvironment): Record<QueueName, number> {
  return Object.fromEntries(QUEUE_NAMES.map((queue) => [queue, env[concurrencyVariable(queue)] as number])) as Record<QueueName, number>;
}

export function clusterNodes(env: ScaleOutEnvironment): ClusterNode[] | undefined {
  if (!env.REDIS_CLUSTER_NODES) return undefined;
  return env.REDIS_CLUSTER_NODES.split(',').map((node) => {
    const separator = node.lastIndexOf(':');
    return { host: node.slice(0, separator).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(separator + 1)) };
  });
}
