import { getSchemaPath, type ReferenceObject, type SchemaObject } from '@nestjs/swagger';
import {
  CLEANUP_ALL_SUBMITTERS, clientJobTypes, ELEVATED_PRIORITY_SUBMITTERS, JOB_TYPES, JobType, submittersOf,
} from '../../job-definitions/job-types';
import { JobOptionsDto, SubmitJobRequest } from './submit-job.dto';

/** payment-process → PaymentProcessJobSubmission */
export function submissionSchemaName(type: JobType): string {
  const pascal = type.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
  return `${pascal}JobSubmission`;
}

function submissionOf(type: JobType): SchemaObject {
  return {
    type: 'object',
    description: [
      `A \`${type}\` job (queue \`${JOB_TYPES[type].queue}\`).`,
      `Submitted by: ${submittersOf(type).join(', ')} (403 naming \`type\` for any other role).`,
      `\`options.priority\` above normal: ${ELEVATED_PRIORITY_SUBMITTERS.join(', ')}.`,
      ...(type === 'cleanup' ? [`\`data.target\` \`all\`: ${CLEANUP_ALL_SUBMITTERS.join(', ')}; a cleanup only ever touches the submitting tenant.`] : []),
      ...(type === 'refund-process'
        ? ['`data.paymentIntentId` must be a payment of this tenant (a completed payment-process job, or an intent whose metadata names the tenant) and `data.amount` at most what is left to refund (422 naming the field).']
        : []),
    ].join(' '),
    required: ['type', 'data'],
    properties: {
      type: { type: 'string', enum: [type] },
      data: { $ref: getSchemaPath(JOB_TYPES[type].payload) },
      options: { $ref: getSchemaPath(JobOptionsDto) },
    },
  };
}

/**
 * The body of `POST /jobs` (and each item of a batch) as OpenAPI describes it: one schema per
 * type a client may submit, each with its own `data`, in a union discriminated on `type`.
 * It takes the place of the schema @nestjs/swagger derives from SubmitJobRequest, which cannot
 * say that `data` depends on `type`; the server still validates `data` per type.
 */
export function jobSubmissionSchemas(): Record<string, SchemaObject> {
  const types = clientJobTypes();
  const refs: Record<string, string> = Object.fromEntries(types.map((type) => [type, `#/components/schemas/${submissionSchemaName(type)}`]));
  const union: SchemaObject = {
    description: 'A job to run: `type` says which `data` it carries',
    oneOf: types.map((type): ReferenceObject => ({ $ref: refs[type] })),
    discriminator: { propertyName: 'type', mapping: refs },
  };
  return {
    ...Object.fromEntries(types.map((type) => [submissionSchemaName(type), submissionOf(type)])),
    [SubmitJobRequest.name]: union,
  };
}
