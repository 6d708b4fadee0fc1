/** A form value as Stripe reads one: `metadata[orderId]=ord_1&items[0][price]=p` nests. */
export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/** Parses an `application/x-www-form-urlencoded` body the way the SDK encodes one (brackets, indexed arrays). */
export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  for (const pair of body.split('&').filter(Boolean)) {
    const [rawKey, rawValue = ''] = pair.split('=');
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const path = key.split('[').map((part) => part.replace(/]$/, ''));
    let target = root;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      target = typeof next === 'object' ? next : (target[part] = {});
    }
    target[path[path.length - 1]] = value;
  }
  return root;
}

export function text(value: FormValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function record(value: FormValue | undefined): Record<string, string> {
  if (typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
