import { Injectable, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { HandlesJob, JobHandler } from '../job-definitions/job-handler';
import { JobHandlerRegistry, JobHandlerSetupError } from './job-handler-registry';
import { JOB_TYPE_NAMES, JobType } from '../job-definitions/job-types';

/** A handler class for `type`, named `name`, as a feature module would declare it. */
function handlerClass(type: JobType, name: string): Type<JobHandler<JobType>> {
  const cls = {
    [name]: class implements JobHandler<JobType> {
      async execute() {
        return { handledBy: name };
      }
    },
  }[name];
  Injectable()(cls);
  HandlesJob(type)(cls);
  return cls;
}

const classNameOf = (type: JobType) => `${type.replace(/(^|-)(\w)/g, (_, __, letter: string) => letter.toUpperCase())}Handler`;

/** One handler per type, except those left out; `extra` handlers are added on top. */
function handlers(options: { without?: JobType[]; extra?: Type<unknown>[] } = {}): Type<unknown>[] {
  return [
    ...JOB_TYPE_NAMES.filter((type) => !options.without?.includes(type)).map((type) => handlerClass(type, classNameOf(type))),
    ...(options.extra ?? []),
  ];
}

async function registryWith(providers: Type<unknown>[]): Promise<JobHandlerRegistry> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [JobHandlerRegistry, ...providers],
  }).compile();
  return moduleRef.get(JobHandlerRegistry);
}

function setupErrorOf(registry: JobHandlerRegistry): JobHandlerSetupError {
  try {
    registry.onModuleInit();
  } catch (error) {
    expect(error).toBeInstanceOf(JobHandlerSetupError);
    return error as JobHandlerSetupError;
  }
  throw new Error('onModuleInit accepted a wrong handler setup');
}

describe('JobHandlerRegistry', () => {
  it('starts when every job type has exactly one handler, and hands out each', async () => {
    const registry = await registryWith(handlers());
    expect(() => registry.onModuleInit()).not.toThrow();
    for (const type of JOB_TYPE_NAMES) {
      await expect(registry.get(type).execute({} as never, {} as never)).resolves.toEqual({ handledBy: classNameOf(type) });
    }
  });

  it('ignores providers that handle no job', async () => {
    @Injectable()
    class SomeService {}
    const registry = await registryWith([...handlers(), SomeService]);
    expect(() => registry.onModuleInit()).not.toThrow();
  });

  it('fails start-up when a job type has no handler, naming the type', async () => {
    const error = setupErrorOf(await registryWith(handlers({ without: ['refund-process'] })));
    expect(error.message).toBe('Job handler setup is wrong: refund-process has no handler');
  });

  it('fails start-up when a job type has two handlers, naming both', async () => {
    const second = handlerClass('payment-process', 'SecondPaymentHandler');
    const error = setupErrorOf(await registryWith(handlers({ extra: [second] })));
    expect(error.message).toBe(
      'Job handler setup is wrong: payment-process has 2 handlers (PaymentProcessHandler, SecondPaymentHandler)',
    );
  });

  it('lists every problem at once', async () => {
    const second = handlerClass('cleanup', 'OtherCleanupHandler');
    const error = setupErrorOf(await registryWith(handlers({ without: ['sms-send', 'nft-mint'], extra: [second] })));
    expect(error.message).toContain('nft-mint has no handler');
    expect(error.message).toContain('sms-send has no handler');
    expect(error.message).toContain('cleanup has 2 handlers (CleanupHandler, OtherCleanupHandler)');
  });

  it('fails start-up with no handlers at all, naming all nine types', async () => {
    const error = setupErrorOf(await registryWith([]));
    for (const type of JOB_TYPE_NAMES) expect(error.message).toContain(`${type} has no handler`);
  });

  it('refuses to hand out a handler it does not have', async () => {
    const registry = await registryWith(handlers({ without: ['scheduled-task'] }));
    expect(() => registry.onModuleInit()).toThrow(JobHandlerSetupError);
    expect(() => registry.get('scheduled-task')).toThrow('No handler for job type scheduled-task');
  });
});
