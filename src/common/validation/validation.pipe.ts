import { ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from '../errors/error-response';
import { toFieldProblems } from '../errors/validation-details';

/** Whitelisting validation whose errors name every bad field by its dotted path. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new ValidationFailedException(toFieldProblems(errors)),
  });
}
