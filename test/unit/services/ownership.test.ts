import { describe, expect, it } from 'vitest';
import { ownerAfterReuse } from '../../../local/services/manager.js';

describe('ownerAfterReuse (who stops a reused service)', () => {
  it("makes a test run's service the developer's when `tributary services up` reuses it", () => {
    expect(ownerAfterReuse('tests', { startedBy: 'cli' })).toBe('cli');
    expect(ownerAfterReuse('tests', {})).toBe('cli');
  });

  it("leaves a test run's service to the test run when `tributary start` reuses it (claim: false)", () => {
    expect(ownerAfterReuse('tests', { startedBy: 'cli', claim: false })).toBe('tests');
  });

  it("never hands a developer's service to a test run", () => {
    expect(ownerAfterReuse('cli', { startedBy: 'tests' })).toBe('cli');
    expect(ownerAfterReuse(undefined, { startedBy: 'tests' })).toBeUndefined();
  });
});
