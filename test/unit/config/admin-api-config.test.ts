import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import { apiKeysOf } from '../../../src/app/ops.js';
import { readmeRecipe } from '../../helpers/readme-recipes.js';

function issuesOf(yaml: string): string[] {
  try {
    parseConfig(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('api keys, api.listen and dataDir', () => {
  it("the README's Admin API example is a valid config, and its keys resolve (keyEnv from the environment)", () => {
    const config = parseConfig(readmeRecipe('admin-api-config'));
    expect(config.dataDir).toBe('/var/lib/trunkbridge');
    expect(config.api.listen).toEqual({ host: '10.0.0.5', port: 8080 });
    const keys = apiKeysOf(config, { TRUNKBRIDGE_DIALER_KEY: 'dialer-key-0123456789', TRUNKBRIDGE_ADMIN_KEY: 'admin-key-0123456789' });
    expect(keys.map((k) => [k.name, k.role])).toEqual([['grafana', 'read'], ['dialer', 'operate'], ['ops', 'admin'], ['api.token', 'admin']]);
  });

  it('a keyEnv whose variable is unset fails startup naming the key', () => {
    const config = parseConfig('api: { keys: [{ name: ops, role: admin, keyEnv: NOT_SET_ANYWHERE_1234 }] }');
    expect(() => apiKeysOf(config, {})).toThrow(/api\.keys\[0\]\.keyEnv: environment variable NOT_SET_ANYWHERE_1234/);
  });

  it.each([
    ['both key and keyEnv', 'api: { keys: [{ name: a, role: admin, key: "0123456789abcdef", keyEnv: K }] }', 'api.keys[0].key: an API key needs exactly one of "key" or "keyEnv"'],
    ['neither', 'api: { keys: [{ name: a, role: admin }] }', 'api.keys[0].key: an API key needs exactly one of "key" or "keyEnv"'],
    ['a short key', 'api: { keys: [{ name: a, role: admin, key: short }] }', 'api.keys[0].key: use at least 16 characters'],
    ['an unknown role', 'api: { keys: [{ name: a, role: root, key: "0123456789abcdef" }] }', 'api.keys[0].role: Invalid option: expected one of "read"|"operate"|"admin"'],
    ['a listen host that is not an IP', 'api: { listen: { host: localhost, port: 8080 } }', 'api.listen.host: must be an IP address'],
    ['an empty dataDir', 'dataDir: ""', 'dataDir: Too small: expected string to have >=1 characters'],
    ['a store URL that is not postgres', 'store: { type: postgres, url: "mysql://db/x" }', 'store.url: must be a postgres:// or postgresql:// URL'],
    ['an unknown store type', 'store: { type: redis, url: "postgres://db/x" }', 'store.type: Invalid input: expected "postgres"'],
  ])('refuses %s, naming the field', (_name, yaml, issue) => {
    expect(issuesOf(yaml)).toEqual([issue]);
  });
});

describe('store: postgres', () => {
  it('is accepted, and its password is redacted from the logged config', () => {
    const config = parseConfig('store: { type: postgres, url: "postgres://tb:s3cret@db.internal:5432/trunkbridge" }');
    expect(config.store).toEqual({ type: 'postgres', url: 'postgres://tb:s3cret@db.internal:5432/trunkbridge' });
    const logged = JSON.stringify(redactConfig(config));
    expect(logged).not.toContain('s3cret');
    expect(logged).toContain('postgres://tb:[redacted]@db.internal:5432/trunkbridge');
  });
});
