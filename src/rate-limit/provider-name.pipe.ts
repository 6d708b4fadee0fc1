import { NotFoundException, PipeTransform } from '@nestjs/common';
import { PROVIDERS, ProviderName } from '../job-definitions/provider-names';

export class ParseProviderNamePipe implements PipeTransform<string, ProviderName> {
  transform(value: string): ProviderName {
    if (!(PROVIDERS as readonly string[]).includes(value)) {
      throw new NotFoundException(`No rate limiter named ${value}; known: ${PROVIDERS.join(', ')}`);
    }
    return value as ProviderName;
  }
}
