/** Validation problems of a whole configuration, told in terms of the item a request wrote. */
import { formatPath } from '../../config/index.js';
import type { ConfigIssue } from '../../core/errors.js';
import type { FieldIssue } from './http.js';

/**
 * Each issue with `field` relative to the item at `itemPath` (`allow[1]`, `credentials[0].password`), or its
 * whole path when it lies outside the item (a reference elsewhere that the change broke).
 */
export function relateIssues(issues: readonly ConfigIssue[], itemPath: ReadonlyArray<string | number> | undefined, emptyField?: string): FieldIssue[] {
  const prefix = itemPath ? formatPath(itemPath) : undefined;
  return issues.map((i) => {
    let field = i.path;
    if (prefix !== undefined && (i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`))) {
      field = i.path.slice(prefix.length).replace(/^\./, '');
    }
    // An issue about the item as a whole (its name as a map key): the field is its key field.
    if (emptyField !== undefined && field === '') field = emptyField;
    return { field, path: i.path, message: i.message };
  });
}
