/**
 * The schema builder plugins use for their config section (`plugins.<name>` in config.json),
 * in the style of src/config/schema.ts: every key declares its type, range and default, and a
 * bad value is reported with its full path and what was wrong, e.g.
 * `plugins.partners.partners[0]: expected an email address, got 5`.
 *
 * Invariants: `check` never throws for bad input (it records problems and carries on, so one
 * start-up shows every mistake); a value absent with a default gets the default; a value absent
 * without one is a problem ("got nothing"); objects reject unknown keys (a typo must not fall
 * back to a default silently), keys starting with "$" excepted for comments.
 */

export interface Schema<T> {
  /** A short name of the expected value for error messages, e.g. "an email address". */
  readonly expected: string;
  readonly description: string;
  /** Validates value at path; returns it with defaults applied; pushes "path: problem" lines. */
  check(value: unknown, path: string, problems: string[]): T;
}

/** The value type a schema describes. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

interface Common<T> {
  description?: string;
  /** Used when the key is absent; without it the key is required. */
  default?: T;
}

function describeValue(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
}

/** A leaf schema: `accepts` decides, absence falls back to the default. */
function leaf<T>(expected: string, options: Common<T>, accepts: (value: unknown) => value is T): Schema<T> {
  return {
    expected,
    description: options.description ?? '',
    check(value, path, problems) {
      if (value === undefined && options.default !== undefined) return structuredClone(options.default);
      if (!accepts(value)) problems.push(`${path}: expected ${expected}, got ${describeValue(value)}`);
      return value as T;
    },
  };
}

const EMAIL = /^[^\s@"<>()[\],;:\\]+@[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?(?:\.[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?)+$/;
const DOMAIN_WILDCARD = /^@[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?(?:\.[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?)+$/;

export const schema = {
  /** An object with exactly these keys; an absent object is `{}` so field defaults apply. */
  object<F extends Record<string, Schema<unknown>>>(
    fields: F,
    options: { description?: string } = {},
  ): Schema<{ [K in keyof F]: Infer<F[K]> }> {
    return {
      expected: 'an object',
      description: options.description ?? '',
      check(value, path, problems) {
        if (value === undefined) value = {};
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          problems.push(`${path}: expected an object, got ${describeValue(value)}`);
          return value as never;
        }
        const input = value as Record<string, unknown>;
        for (const key of Object.keys(input)) {
          if (!Object.hasOwn(fields, key) && !key.startsWith('$')) problems.push(`${path}.${key}: unknown key`);
        }
        const output: Record<string, unknown> = {};
        for (const [key, field] of Object.entries(fields)) output[key] = field.check(input[key], `${path}.${key}`, problems);
        return output as never;
      },
    };
  },

  integer(options: Common<number> & { min?: number; max?: number } = {}): Schema<number> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    const range = options.min !== undefined || options.max !== undefined ? ` ${options.min ?? '…'}..${options.max ?? '…'}` : '';
    return leaf(`integer${range}`, options, (value): value is number =>
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max);
  },

  string(options: Common<string> & { pattern?: RegExp; patternText?: string } = {}): Schema<string> {
    return leaf(options.patternText ?? 'a non-empty string', options, (value): value is string =>
      typeof value === 'string' && value.length > 0 && (!options.pattern || options.pattern.test(value)));
  },

  boolean(options: Common<boolean> = {}): Schema<boolean> {
    return leaf('true or false', options, (value): value is boolean => typeof value === 'boolean');
  },

  enum<const V extends string>(values: readonly V[], options: Common<V> = {}): Schema<V> {
    return leaf(`one of ${values.join(', ')}`, options, (value): value is V => typeof value === 'string' && (values as readonly string[]).includes(value));
  },

  /** A mailbox address (local@domain), compared lower-cased: the value is lower-cased. */
  email(options: Common<string> & { allowDomain?: boolean } = {}): Schema<string> {
    const expected = options.allowDomain ? 'an email address or @domain' : 'an email address';
    const inner = leaf(expected, options, (value): value is string =>
      typeof value === 'string' && (EMAIL.test(value) || (options.allowDomain === true && DOMAIN_WILDCARD.test(value))));
    return { ...inner, check: (value, path, problems) => {
      const checked = inner.check(value, path, problems);
      return typeof checked === 'string' ? checked.toLowerCase() : checked;
    } };
  },

  array<T>(item: Schema<T>, options: Common<T[]> & { minItems?: number; maxItems?: number } = {}): Schema<T[]> {
    const expected = `a list of ${item.expected.replace(/^an? /, '')} values`;
    return {
      expected,
      description: options.description ?? '',
      check(value, path, problems) {
        if (value === undefined && options.default !== undefined) return structuredClone(options.default);
        if (!Array.isArray(value)) {
          problems.push(`${path}: expected ${expected}, got ${describeValue(value)}`);
          return value as never;
        }
        if (options.minItems !== undefined && value.length < options.minItems) {
          problems.push(`${path}: expected at least ${options.minItems} item(s), got ${value.length}`);
        }
        if (options.maxItems !== undefined && value.length > options.maxItems) {
          problems.push(`${path}: expected at most ${options.maxItems} item(s), got ${value.length}`);
        }
        return value.map((element, index) => item.check(element, `${path}[${index}]`, problems));
      },
    };
  },

  /** An object whose keys are free (e.g. phone numbers) and whose values share one schema. */
  record<T>(value: Schema<T>, options: Common<Record<string, T>> & { keyPattern?: RegExp; keyText?: string } = {}): Schema<Record<string, T>> {
    return {
      expected: 'an object',
      description: options.description ?? '',
      check(input, path, problems) {
        if (input === undefined && options.default !== undefined) return structuredClone(options.default);
        if (input === undefined) input = {};
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          problems.push(`${path}: expected an object, got ${describeValue(input)}`);
          return input as never;
        }
        const output: Record<string, T> = {};
        for (const [key, element] of Object.entries(input as Record<string, unknown>)) {
          if (key.startsWith('$')) continue;
          if (options.keyPattern && !options.keyPattern.test(key)) {
            problems.push(`${path}.${key}: expected a key that is ${options.keyText ?? options.keyPattern.source}`);
          }
          output[key] = value.check(element, `${path}.${key}`, problems);
        }
        return output;
      },
    };
  },

  /** The inner schema, or null when the key is absent or null. */
  optional<T>(inner: Schema<T>): Schema<T | null> {
    return {
      expected: inner.expected,
      description: inner.description,
      check: (value, path, problems) => (value === undefined || value === null ? null : inner.check(value, path, problems)),
    };
  },
} as const;

/** Runs a schema over a config section; the problems, one line each, or the value. */
export function validateSection<T>(s: Schema<T>, value: unknown, path: string): { ok: true; value: T } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const checked = s.check(value, path, problems);
  return problems.length === 0 ? { ok: true, value: checked } : { ok: false, problems };
}
