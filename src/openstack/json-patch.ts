/**
 * JSON-patch operations for Glance image updates
 * (`application/openstack-images-v2.1-json-patch`).
 */

export type JsonPatchOp =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** Escapes a property name for a JSON pointer (RFC 6901). */
export function pointer(name: string): string {
  return `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The operations that take an image's properties from `current` to `desired`:
 * a string sets the property (add when absent, replace when different), null
 * removes it (when present). Properties not named in `desired` are left alone.
 * Order follows `desired`, so the result is deterministic.
 */
export function propertyPatch(current: Readonly<Record<string, unknown>>, desired: Readonly<Record<string, string | null>>): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const [name, value] of Object.entries(desired)) {
    const present = Object.prototype.hasOwnProperty.call(current, name);
    if (value === null) {
      if (present) ops.push({ op: 'remove', path: pointer(name) });
    } else if (!present) {
      ops.push({ op: 'add', path: pointer(name), value });
    } else if (current[name] !== value) {
      ops.push({ op: 'replace', path: pointer(name), value });
    }
  }
  return ops;
}
