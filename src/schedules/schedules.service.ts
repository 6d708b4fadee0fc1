import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ValidationFailedException } from '../common/errors/error-response';
import type { FieldProblem } from '../common/errors/validation-details';
import type { JobType } from '../job-definitions/job-types';
import type { Role } from '../common/auth/auth-user';
import { validatePayload } from '../jobs/job-submissions';
import { refuseUnlessAllowed, submissionRefusals } from '../jobs/submission-authorization';
import { cronProblems, nextTickAfter } from './cron-times';
import type { CreateScheduleRequest, SchedulesQuery, UpdateScheduleRequest } from './dto/schedule-requests.dto';
import type { SchedulePage, ScheduleView } from './dto/schedule-views.dto';
import { repeatKeyOf, ScheduleRepeatables } from './schedule-repeatables';
import type { Schedule } from './schedule.entity';
import { Schedules } from './schedules.repository';

/**
 * A tenant's schedules. The row is written first and its Bull repeatable follows; start-up
 * reconciles the two (a repeatable without a row is removed, a row without one gets it back).
 */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly schedules: Schedules,
    private readonly repeatables: ScheduleRepeatables,
  ) {}

  /** `roles`: the caller's; each tick submits the job as they could (403 otherwise, as POST /jobs). */
  async create(tenantId: string, request: CreateScheduleRequest, roles: readonly Role[]): Promise<ScheduleView> {
    const timezone = request.timezone ?? 'UTC';
    const jobData = await this.checked(roles, request.cron, timezone, request.jobType, request.jobData);
    const enabled = request.enabled ?? true;
    const schedule = await this.unique(() =>
      this.schedules.create(tenantId, {
        name: request.name, cron: request.cron, timezone, jobType: request.jobType, jobData, enabled,
        missedTickPolicy: request.missedTickPolicy ?? 'run-once',
        nextRunAt: enabled ? nextTickAfter(request.cron, timezone, new Date()) : null,
      }),
    );
    if (enabled) await this.repeatables.add(schedule);
    return viewOf(schedule);
  }

  async page(tenantId: string, query: SchedulesQuery): Promise<SchedulePage> {
    const { items, total } = await this.schedules.page(tenantId, query.limit, query.offset);
    return { items: items.map(viewOf), total, limit: query.limit, offset: query.offset };
  }

  async get(tenantId: string, id: string): Promise<ScheduleView> {
    return viewOf(found(await this.schedules.find(tenantId, id)));
  }

  async update(tenantId: string, id: string, request: UpdateScheduleRequest, roles: readonly Role[]): Promise<ScheduleView> {
    const current = found(await this.schedules.find(tenantId, id));
    const cron = request.cron ?? current.cron;
    const timezone = request.timezone ?? current.timezone;
    const jobType = request.jobType ?? current.jobType;
    const jobData = await this.checked(roles, cron, timezone, jobType as JobType, request.jobData ?? current.jobData);
    const enabled = request.enabled ?? current.enabled;
    const updated = found(
      await this.unique(() =>
        this.schedules.update(tenantId, id, () => ({
          ...(request.name !== undefined && { name: request.name }),
          cron, timezone, jobType, jobData, enabled,
          ...(request.missedTickPolicy !== undefined && { missedTickPolicy: request.missedTickPolicy }),
          nextRunAt: enabled ? nextTickAfter(cron, timezone, new Date()) : null,
        })),
      ),
    );
    // Bull keys a repeatable by cron and zone and keeps the data of its first add: replace it.
    await this.repeatables.remove(repeatKeyOf(id));
    if (updated.enabled) await this.repeatables.add(updated);
    return viewOf(updated);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.schedules.delete(tenantId, id))) throw notFound();
    await this.repeatables.remove(repeatKeyOf(id));
  }

  /**
   * The job data as the type's payload class keeps it; 403 when the caller's roles may not
   * submit the job (as in POST /jobs), 400 naming each bad field otherwise.
   */
  private async checked(roles: readonly Role[], cron: string, timezone: string, type: JobType, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    refuseUnlessAllowed(submissionRefusals(roles, { type, data }, { type: 'jobType', data: 'jobData', priority: 'priority' }));
    const problems: FieldProblem[] = cronProblems(cron, timezone);
    const { payload, problems: dataProblems } = await validatePayload({ type, data }, 'jobData');
    problems.push(...dataProblems);
    if (problems.length) throw new ValidationFailedException(problems);
    return payload;
  }

  private async unique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new ConflictException('This tenant already has a schedule of that name');
      }
      throw error;
    }
  }
}

export function viewOf(schedule: Schedule): ScheduleView {
  const {
    id, name, cron, timezone, jobType, jobData, enabled, missedTickPolicy, lastRunAt, lastOutcome, lastJobId, nextRunAt, createdAt, updatedAt,
  } = schedule;
  return { id, name, cron, timezone, jobType, jobData, enabled, missedTickPolicy, lastRunAt, lastOutcome, lastJobId, nextRunAt, createdAt, updatedAt };
}

function found(schedule: Schedule | null): Schedule {
  if (!schedule) throw notFound();
  return schedule;
}

function notFound(): NotFoundException {
  return new NotFoundException('No such schedule for this tenant');
}
