// qlobber ships no type declarations; these are the parts the route table and the local bus use.
declare module 'qlobber' {
  export interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
    /** `+` also matches an empty level, as in MQTT. */
    match_empty_levels?: boolean;
    /** How many topics' split words to keep (the oldest first out); 0: none. */
    cache_splits?: number;
  }
  /** A topic trie whose values are kept as a list per filter; `match` returns them all. */
  export class Qlobber<V> {
    constructor(options?: QlobberOptions);
    add(filter: string, value: V): this;
    remove(filter: string, value?: V): this;
    match(topic: string): V[];
  }
  /** A topic trie whose values are kept as a set per filter; `match` returns their union. */
  export class QlobberDedup<V> {
    constructor(options?: QlobberOptions);
    add(filter: string, value: V): this;
    remove(filter: string, value?: V): this;
    match(topic: string): Set<V>;
    clear(): this;
  }
}
