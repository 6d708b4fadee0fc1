import * as Joi from 'joi';

interface DlqEnvironment {
  DLQ_RETENTION_DAYS: number;
}

const schema = Joi.object<DlqEnvironment>({
  DLQ_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
});

/**
 * Dead-letter settings, validated once at start-up.
 * To be folded into src/config/environment.ts; kept apart until then.
 */
export class DlqConfig {
  private constructor(readonly retentionDays: number) {}

  static fromEnvironment(raw: Record<string, unknown>): DlqConfig {
    const { value, error } = schema.validate(raw, { abortEarly: false, allowUnknown: true, stripUnknown: true, convert: true });
    if (error) {
      const problems = error.details.map((detail) => `${detail.path.join('.')}: ${detail.message.replace(/"/g, '')}`);
      throw new Error(`Invalid configuration: ${problems.join('; ')}`);
    }
    return new DlqConfig(value.DLQ_RETENTION_DAYS);
  }
}
