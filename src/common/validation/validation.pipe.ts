import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from '../errors/error-response';
import { toFieldProblems } from '../errors/validation-details';
import { findHostileInput } from './hostile-input';

/**
 * The global pipe: first the checks every body, query and route parameter gets whatever its
 * DTO says (hostile-input.ts: NUL and control characters, lone surrogates, depth), then
 * whitelisting validation whose errors name every bad field by its dotted path.
 */
class GuardedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const problems = findHostileInput(value, metadata.type, metadata.data ?? '');
      if (problems.length) throw new ValidationFailedException(problems);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new GuardedValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new ValidationFailedException(toFieldProblems(errors)),
  });
}
