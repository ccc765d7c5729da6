// qlobber's options for MQTT filters: `/` between levels, `+` one level (an empty one too), `#` the
// rest. Every topic trie of the edge uses them (the local bus's matcher, the route table, shared groups).
import type { QlobberOptions } from 'qlobber';

export const MQTT_TRIE: QlobberOptions = { separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true };
