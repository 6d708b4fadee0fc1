import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsInt, IsString, Length, Min, ValidateNested, ValidationError, validate } from 'class-validator';
import { toFieldProblems } from './validation-details';

class Seat {
  @IsString() @Length(1, 5)
  row: string;

  @IsInt() @Min(1)
  number: number;
}

class Metadata {
  @IsString() @Length(1, 32)
  name: string;
}

class Order {
  @IsInt()
  amount: number;

  @ValidateNested() @Type(() => Metadata)
  metadata: Metadata;

  @ValidateNested({ each: true }) @Type(() => Seat)
  seats: Seat[];
}

async function problemsOf(plain: object, prefix?: string) {
  const errors = await validate(plainToInstance(Order, plain), { whitelist: true, forbidNonWhitelisted: true });
  return toFieldProblems(errors, prefix);
}

const VALID = { amount: 1, metadata: { name: 'GA' }, seats: [{ row: 'A', number: 1 }] };

describe('toFieldProblems', () => {
  it('gives nothing for no errors', async () => {
    expect(await problemsOf(VALID)).toEqual([]);
    expect(toFieldProblems([])).toEqual([]);
  });

  it('names a top-level field by its property, and under a prefix by its dotted path', async () => {
    const bad = { ...VALID, amount: 1.5 };
    expect(await problemsOf(bad)).toEqual([{ field: 'amount', message: 'amount must be an integer number' }]);
    expect(await problemsOf(bad, 'data')).toEqual([{ field: 'data.amount', message: 'amount must be an integer number' }]);
  });

  it('names nested objects and array items by their full path', async () => {
    const problems = await problemsOf(
      { amount: 1, metadata: { name: 'x'.repeat(33) }, seats: [{ row: 'A', number: 1 }, { row: 'TOOLONG', number: 0 }] },
      'jobs.3.data',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'jobs.3.data.metadata.name', message: 'name must be shorter than or equal to 32 characters' },
        { field: 'jobs.3.data.seats.1.row', message: 'row must be shorter than or equal to 5 characters' },
        { field: 'jobs.3.data.seats.1.number', message: 'number must not be less than 1' },
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('gives one entry per broken constraint of a field', async () => {
    const problems = await problemsOf({ ...VALID, metadata: { name: 7 } });
    expect(problems.map((problem) => problem.field)).toEqual(['metadata.name', 'metadata.name']);
    expect(problems.map((problem) => problem.message)).toEqual(
      expect.arrayContaining(['name must be a string', 'name must be longer than or equal to 1 and shorter than or equal to 32 characters']),
    );
  });

  it('drops the "property " prefix of whitelist errors and names extra properties, nested too', async () => {
    const problems = await problemsOf({ ...VALID, x: 1, metadata: { name: 'GA', extra: true } }, 'data');
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'data.x', message: 'x should not exist' },
        { field: 'data.metadata.extra', message: 'extra should not exist' },
      ]),
    );
    expect(problems).toHaveLength(2);
  });

  it('flattens a hand-built tree, keeping parents that carry their own constraints', () => {
    const leaf = Object.assign(new ValidationError(), { property: 'uri', constraints: { isUrl: 'uri must be a URL' }, children: [] });
    const middle = Object.assign(new ValidationError(), {
      property: 'metadata',
      constraints: { isObject: 'property metadata is odd' },
      children: [leaf],
    });
    const root = Object.assign(new ValidationError(), { property: 'data', children: [middle] });
    expect(toFieldProblems([root], 'jobs.0')).toEqual([
      { field: 'jobs.0.data.metadata', message: 'metadata is odd' },
      { field: 'jobs.0.data.metadata.uri', message: 'uri must be a URL' },
    ]);
  });
});
