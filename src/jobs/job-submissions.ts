import { plainToInstance, instanceToPlain } from 'class-transformer';
import { validate } from 'class-validator';
import type { FieldProblem } from '../common/errors/validation-details';
import { toFieldProblems } from '../common/errors/validation-details';
import type { SubmitJobRequest } from './dto/submit-job.dto';
import { payloadClassOf } from '../job-definitions/job-types';

/** Validates `data` against the payload class of its type; problems are named under `prefix`. */
export async function validatePayload(
  request: SubmitJobRequest,
  prefix: string,
): Promise<{ payload: Record<string, unknown>; problems: FieldProblem[] }> {
  const instance = plainToInstance(payloadClassOf(request.type), request.data);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  return {
    payload: instanceToPlain(instance),
    problems: toFieldProblems(errors, prefix),
  };
}

/** Two items of one batch may not share an idempotency key: which one would win is arbitrary. */
export function duplicateKeyProblems(requests: SubmitJobRequest[]): FieldProblem[] {
  const firstIndex = new Map<string, number>();
  return requests.flatMap((request, index) => {
    const key = request.options?.idempotencyKey;
    if (!key) return [];
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return [];
    }
    return [{ field: `jobs.${index}.options.idempotencyKey`, message: `idempotencyKey repeats jobs.${first}` }];
  });
}
