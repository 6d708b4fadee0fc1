import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HandlesJob, JobHandler } from '../job-definitions/job-handler';
import { JOB_TYPE_NAMES, JobType } from '../job-definitions/job-types';

export class JobHandlerSetupError extends Error {}

/** Finds every @HandlesJob provider at start-up; fails unless each job type has exactly one. */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private readonly handlers = new Map<JobType, JobHandler<JobType>>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found = new Map<JobType, string[]>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: HandlesJob.KEY })) {
      const type = this.discovery.getMetadataByDecorator(HandlesJob, wrapper);
      if (!type) continue;
      found.set(type, [...(found.get(type) ?? []), wrapper.name]);
      this.handlers.set(type, wrapper.instance as JobHandler<JobType>);
    }
    const problems = JOB_TYPE_NAMES.flatMap((type) => {
      const names = found.get(type) ?? [];
      if (names.length === 0) return [`${type} has no handler`];
      if (names.length > 1) return [`${type} has ${names.length} handlers (${names.join(', ')})`];
      return [];
    });
    if (problems.length) throw new JobHandlerSetupError(`Job handler setup is wrong: ${problems.join('; ')}`);
  }

  get<T extends JobType>(type: T): JobHandler<T> {
    const handler = this.handlers.get(type);
    if (!handler) throw new JobHandlerSetupError(`No handler for job type ${type}`);
    return handler as unknown as JobHandler<T>;
  }
}
