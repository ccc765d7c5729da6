// What a PromQL expression (a Grafana panel's or an alert's) reads: metric names and label names,
// for checking them against a real /metrics scrape. A small lexer, not a full parser: it knows
// selectors' label matchers, grouping clauses (by/without/on/ignoring/group_left/group_right),
// strings, range and subquery brackets, function calls, keywords and Grafana's $variables.

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;

export interface PromqlReferences {
  metrics: Set<string>;
  labels: Set<string>;
}

export function promqlReferences(expression: string): PromqlReferences {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  let text = expression.replace(/\{([^{}]*)\}/g, (_, body: string) => {
    for (const [, name] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g))
      labels.add(name!);
    return ' ';
  });
  text = text.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)/gi, (_, body: string) => {
    for (const name of body
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean))
      labels.add(name);
    return ' ';
  });
  text = text.replace(STRING, ' ').replace(/\[[^\]]*\]/g, ' ');
  for (const [, name, call] of text.matchAll(/(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (call || KEYWORDS.has(name!.toLowerCase())) continue;
    metrics.add(name!);
  }
  return { metrics, labels };
}

/** Grafana's `label_values(selector, label)` / `label_values(label)` variable queries. */
export function grafanaVariableReferences(query: string): PromqlReferences {
  const match = /^\s*label_values\((.*)\)\s*$/.exec(query);
  if (!match) return promqlReferences(query);
  const body = match[1]!;
  const comma = body.lastIndexOf(',');
  if (comma === -1 || body.lastIndexOf('}') > comma) return { metrics: new Set(), labels: new Set([body.trim()]) };
  const references = promqlReferences(body.slice(0, comma));
  references.labels.add(body.slice(comma + 1).trim());
  return references;
}
