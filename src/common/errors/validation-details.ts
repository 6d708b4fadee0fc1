import { ValidationError } from 'class-validator';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Flattens class-validator's tree into one entry per bad field, named by its dotted path. */
export function toFieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property /, ''),
    }));
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}
