// qlobber ships no type declarations; these are the parts the route table uses.
declare module 'qlobber' {
  export interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
    /** `+` also matches an empty level, as in MQTT. */
    match_empty_levels?: boolean;
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
