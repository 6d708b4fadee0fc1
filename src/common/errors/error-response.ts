import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FieldProblem } from './validation-details';

export class FieldProblemDto implements FieldProblem {
  @ApiProperty({ example: 'data.amount' })
  field: string;

  @ApiProperty({ example: 'amount must not be less than 1' })
  message: string;
}

/** The one shape of every error the API returns. */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'Validation failed' })
  message: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  details?: FieldProblem[];

  @ApiProperty({ example: '3f1c0b7e-4a8e-4f51-9d55-1f0e8e0e2a11' })
  requestId: string;
}

/** A client error that carries per-field details. */
export class ValidationFailedException extends Error {
  constructor(
    readonly details: FieldProblem[],
    message = 'Validation failed',
  ) {
    super(message);
  }
}
