// FieldMask semantics of Yandex's Update calls (docs/yandex-behaviour.md §6.1): with a mask only the listed fields
// change (an unset value resets the field); without one every updatable field is overwritten.
import { FieldError } from '../validation/field-error.js';

export function patchFromMask<T extends object, K extends keyof T & string>(
  request: T,
  mask: string[] | undefined,
  updatable: readonly K[],
): Partial<Pick<T, K>> {
  const paths = mask && mask.length > 0 ? mask : updatable;
  const patch: Partial<Pick<T, K>> = {};
  for (const path of paths) {
    if (!(updatable as readonly string[]).includes(path)) {
      throw new FieldError('update_mask', `unknown or immutable field "${path}" (updatable: ${updatable.join(', ')})`);
    }
    patch[path as K] = request[path as K];
  }
  return patch;
}
