// Reading deploy/Dockerfile and .dockerignore the way `docker build` does, for the deploy/ test:
// instructions by stage (continuations joined, comments and parser directives dropped, flags such
// as COPY --from split off, JSON "exec form" decoded) and the context's exclusion rules (Go
// filepath.Match patterns with `**`, `!` exceptions, a match on a parent directory excludes the
// path, the last matching rule wins).

export interface Instruction {
  keyword: string;
  /** `--name=value` options (COPY --from, --chown; HEALTHCHECK --interval …). */
  flags: Record<string, string>;
  /** The rest of the line after the flags. */
  args: string;
  /** Exec-form arguments when `args` is a JSON array, else undefined. */
  exec?: string[];
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const lines = text.split('\n');
  const logical: Array<{ text: string; line: number }> = [];
  let current: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped even inside a continuation, as BuildKit does.
    if (trimmed.startsWith('#')) return;
    if (!current) {
      if (!trimmed) return;
      current = { text: '', line: index + 1 };
    }
    if (trimmed.endsWith('\\')) {
      current.text += `${trimmed.slice(0, -1)} `;
    } else {
      current.text += trimmed;
      logical.push(current);
      current = undefined;
    }
  });
  if (current) logical.push(current);

  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const { text: line, line: number } of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = match[1]!.toUpperCase();
    let rest = match[2]!;
    const flags: Record<string, string> = {};
    for (let flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); flag; flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
      flags[flag[1]!] = flag[2] ?? 'true';
      rest = rest.slice(flag[0].length);
    }
    let exec: string[] | undefined;
    const jsonPart = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
    if (jsonPart.startsWith('[')) {
      try {
        exec = JSON.parse(jsonPart) as string[];
      } catch {
        exec = undefined; // shell form that happens to start with "["
      }
    }
    const instruction: Instruction = { keyword, flags, args: rest, exec, line: number };
    if (keyword === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      stages.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [instruction] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`line ${number}: ${keyword} before the first FROM`);
      globalArgs.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** COPY/ADD sources and destination (shell form split on blanks, or the JSON form). */
export function copyOperands(instruction: Instruction): { sources: string[]; destination: string } {
  const parts = instruction.exec ?? instruction.args.split(/\s+/);
  return { sources: parts.slice(0, -1), destination: parts.at(-1)! };
}

function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      source += end === -1 ? '\\[' : pattern.slice(i, end + 1).replace(/^\[!/, '[^');
      if (end !== -1) i = end;
    } else if (char === '\\' && i + 1 < pattern.length) {
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** A predicate telling whether a context-relative path is left out of the build context. */
export function dockerignoreMatcher(text: string): (relativePath: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const pattern = (exception ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
      return { exception, pattern: patternToRegExp(pattern) };
    });
  return (relativePath) => {
    const clean = relativePath.replace(/^\.\//, '').replace(/\/+$/, '');
    const segments = clean.split('/');
    const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((candidate) => rule.pattern.test(candidate))) excluded = !rule.exception;
    }
    return excluded;
  };
}

/** The Node.js version an official `node` image tag names (`node:24.22-bookworm-slim` → `24.22`), else undefined. */
export function nodeImageVersion(image: string): string | undefined {
  return /^(?:docker\.io\/)?(?:library\/)?node:(\d+(?:\.\d+){0,2})(?:-[^@]*)?(?:@sha256:[a-f0-9]{64})?$/.exec(image)?.[1];
}
