import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { toFieldProblems } from '../../common/errors/validation-details';
import { BulkRetryRequest } from './bulk-retry.dto';

const ID = '5b0c8f0e-8d7e-4a53-9a49-7f3c7f1c2a10';

async function problems(body: object) {
  const errors = await validate(plainToInstance(BulkRetryRequest, body), { whitelist: true, forbidNonWhitelisted: true });
  return toFieldProblems(errors);
}

describe('BulkRetryRequest', () => {
  it.each([
    ['ids', { ids: [ID] }],
    ['a filter', { filter: { type: 'payment-process' } }],
    ['an empty filter with a limit', { filter: {}, limit: 500 }],
  ])('accepts %s', async (_case, body) => {
    expect(await problems(body)).toEqual([]);
  });

  it('says only that ids or filter is missing when both are', async () => {
    expect(await problems({})).toEqual([{ field: 'filter', message: 'ids or filter is required' }]);
  });

  it.each([
    ['nothing', {}, 'filter', 'ids or filter is required'],
    ['a filter that is no object', { filter: 'all' }, 'filter', 'nested property filter must be either object or array'],
    ['both ids and a filter', { ids: [ID], filter: {} }, 'ids', 'ids and filter cannot be given together'],
    ['no ids', { ids: [] }, 'ids', 'ids must contain at least 1 elements'],
    ['501 ids', { ids: Array.from({ length: 501 }, () => ID) }, 'ids', 'ids must contain no more than 500 elements'],
    ['an id that is no UUID', { ids: ['nope'] }, 'ids', 'each value in ids must be a UUID'],
    ['a limit above 500', { filter: {}, limit: 501 }, 'limit', 'limit must not be greater than 500'],
    ['a limit without a filter', { ids: [ID], limit: 5 }, 'limit', 'limit can only be given with filter'],
    ['a bad date in the filter', { filter: { from: 'yesterday' } }, 'filter.from', 'from must be a date or date-time such as 2026-12-01T10:15:30Z'],
  ])('refuses %s, naming the field', async (_case, body, field, message) => {
    expect(await problems(body)).toContainEqual({ field, message });
  });
});
