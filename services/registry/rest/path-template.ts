// The path templates of google.api.http (google/api/http.proto) that Yandex's protos use: literal
// segments, single-segment variables `{field}` and an optional custom verb (`…/registries:getByName`,
// `…/{registry_id}:disable`). As in grpc-gateway, the verb is split off a request path's last
// segment before matching, so `/operations/X:cancel` is OperationService.Cancel, never Get of "X:cancel".

export type Segment = { literal: string } | { variable: string };

export interface PathTemplate {
  segments: Segment[];
  verb?: string;
}

/** A request path split like a template: segments (percent-decoded) and the custom verb. */
export interface RequestPath {
  segments: string[];
  verb?: string;
}

const LITERAL = /^[A-Za-z0-9._~-]+$/;
const VARIABLE = /^\{([a-z_][a-z0-9_]*)\}$/;

/** Parses a template; throws on syntax this gateway does not implement (`**`, `{a=b/*}`, nested fields). */
export function parseTemplate(text: string): PathTemplate {
  if (!text.startsWith('/')) throw new Error(`path template ${text} does not start with "/"`);
  const { segments, verb } = splitVerb(text.slice(1).split('/'));
  return {
    verb,
    segments: segments.map((segment) => {
      const variable = VARIABLE.exec(segment);
      if (variable) return { variable: variable[1]! };
      if (LITERAL.test(segment)) return { literal: segment };
      throw new Error(`path template ${text}: segment "${segment}" is not supported`);
    }),
  };
}

/** Splits and percent-decodes a request path (without its query); undefined if it does not decode. */
export function splitRequestPath(path: string): RequestPath | undefined {
  if (!path.startsWith('/')) return undefined;
  const { segments, verb } = splitVerb(path.slice(1).split('/'));
  try {
    return { segments: segments.map(decodeURIComponent), verb: verb === undefined ? undefined : decodeURIComponent(verb) };
  } catch {
    return undefined;
  }
}

/** The template's variables bound from the path, or undefined when the path does not match. */
export function matchTemplate(template: PathTemplate, path: RequestPath): Record<string, string> | undefined {
  if (template.verb !== path.verb || template.segments.length !== path.segments.length) return undefined;
  const variables: Record<string, string> = {};
  for (const [index, segment] of template.segments.entries()) {
    const value = path.segments[index]!;
    if ('literal' in segment) {
      if (segment.literal !== value) return undefined;
    } else {
      if (value === '') return undefined;
      variables[segment.variable] = value;
    }
  }
  return variables;
}

function splitVerb(segments: string[]): { segments: string[]; verb?: string } {
  const last = segments.at(-1) ?? '';
  const colon = last.lastIndexOf(':');
  if (colon < 0) return { segments };
  return { segments: [...segments.slice(0, -1), last.slice(0, colon)], verb: last.slice(colon + 1) };
}
