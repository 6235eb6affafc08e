/**
 * The config schema builder of the plugin API: types, defaults, paths in every message, every
 * problem reported at once, unknown keys refused.
 */
import t from 'tap';
import { schema } from '../../src/plugins/api.js';
import { validateSection } from '../../src/plugins/schema.js';

const example = schema.object({
  partners: schema.array(schema.email(), { default: [] }),
  limit: schema.integer({ min: 1, max: 10, default: 3 }),
  mode: schema.enum(['strict', 'lax'] as const, { default: 'strict' }),
  name: schema.string({ pattern: /^[a-z]+$/, patternText: 'lower-case letters' }),
  enabled: schema.boolean({ default: true }),
  numbers: schema.record(schema.email(), { keyPattern: /^\+\d+$/, keyText: 'an E.164 number' }),
  nested: schema.object({ url: schema.optional(schema.string()) }),
});

t.test('defaults fill absent keys; emails are lower-cased', async (t) => {
  t.same(validateSection(example, { name: 'abc', partners: ['Mum@Example.ORG'] }, 'plugins.x'), {
    ok: true,
    value: { partners: ['mum@example.org'], limit: 3, mode: 'strict', name: 'abc', enabled: true, numbers: {}, nested: { url: null } },
  });
});

t.test('every problem, each with its path', async (t) => {
  const result = validateSection(example, {
    partners: [5, 'ok@example.org', 'no-at-sign'],
    limit: 11,
    mode: 'loose',
    enabled: 'yes',
    numbers: { '+4912': 'a@b.example', 'not-a-number': 'x' },
    nested: { url: 7, extra: true },
    typo: 1,
    $comment: 'ignored',
  }, 'plugins.x');
  t.same(result, {
    ok: false,
    problems: [
      'plugins.x.typo: unknown key',
      'plugins.x.partners[0]: expected an email address, got 5',
      'plugins.x.partners[2]: expected an email address, got "no-at-sign"',
      'plugins.x.limit: expected integer 1..10, got 11',
      'plugins.x.mode: expected one of strict, lax, got "loose"',
      'plugins.x.name: expected lower-case letters, got nothing',
      'plugins.x.enabled: expected true or false, got "yes"',
      'plugins.x.numbers.not-a-number: expected a key that is an E.164 number',
      'plugins.x.numbers.not-a-number: expected an email address, got "x"',
      'plugins.x.nested.extra: unknown key',
      'plugins.x.nested.url: expected a non-empty string, got 7',
    ],
  });
  t.same(validateSection(example, 'text', 'plugins.x'), { ok: false, problems: ['plugins.x: expected an object, got "text"'] });
});
