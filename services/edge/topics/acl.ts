// The Yandex IoT Core access rules (docs/yandex-behaviour.md §3.2, §3.7, §3.8) as pure functions: a topic or filter
// and a principal in, a decision with the internal topic out. O(topic levels + log aliases).
//
//                                 device D of R      registry R
//   $devices/D/events|state…       publish            read (any device of R)
//   $devices/D/commands|config…    read               publish (any device of R)
//   $registries/R/events|state…    publish            read
//   $registries/R/commands|config… read               publish
//   $monitoring/X/json             read (X in R)      read (X in R)
// Everything else, other registries included, is invisible. Brokers: any non-$ topic.
// A name an alias or `$me` resolves must itself be a valid topic or filter: prefix substitution
// can glue a wildcard onto a target's last level (`home/#` → `…/events/x#`) or, through a long
// target, make a topic no subscriber's connection can carry (both found by fuzzing, test/fuzz/).
import { AliasTable } from './aliases.js';
import {
  INTERNAL_ROOT,
  brokerExternal,
  brokerInternal,
  isPermanent,
  parseCanonical,
  toCanonical,
  toInternal,
  type CanonicalParts,
} from './namespace.js';
import type { Principal } from '../../contracts/principal.js';
import { hasWildcard, topicFilterError, topicNameError } from './topic-syntax.js';
import { remember } from '../../common/bounded-memo.js';
import { MAX_SUBTOPIC_LENGTH } from '../../contracts/limits.js';

const KINDS = ['events', 'state', 'commands', 'config'];
const UPSTREAM = new Set(['events', 'state']);
const DOWNSTREAM = new Set(['commands', 'config']);

const SUBTOPIC_TOO_LONG = `subtopic longer than ${MAX_SUBTOPIC_LENGTH} characters`;

/**
 * Yandex's narrowing of the broadest filters (§3.2): a registry's `$devices/#` (≡ `$devices/+/#`)
 * is `$devices/+/events/#`, and a device's `$registries/#` is `$registries/<its registry>/commands/#`,
 * so neither replays nor delivers the other permanent topic kind.
 */
function narrowed(principal: Principal, canonical: string): string {
  if (canonical !== '$devices/#' && canonical !== '$devices/+/#' && canonical !== '$registries/#' && canonical !== '$registries/+/#')
    return canonical;
  if (principal.kind === 'registry' && canonical.startsWith('$devices/')) return '$devices/+/events/#';
  if (principal.kind === 'device' && canonical.startsWith('$registries/')) return `$registries/${principal.registry_id}/commands/#`;
  return canonical;
}

export type PublishDecision =
  | {
      ok: true;
      internalTopic: string;
      /** The topic exports and triggers filter on: the Yandex topic after any alias, or the broker's own. */
      exportTopic: string;
      permanent: boolean;
      /** A registry publishing to a device: the edge must check the device is in the registry. */
      requiresDeviceOf?: { deviceId: string; registryId: string };
    }
  | { ok: false; reason: string };

export type SubscribeDecision =
  | {
      ok: true;
      internalFilter: string;
      /** Permanent-topic values are replayed unless the filter is a wildcard through an alias. */
      replayPermanent: boolean;
      /** Internal topic → the name this subscription delivers it under; undefined: not delivered by it. */
      toClient: (internalTopic: string) => string | undefined;
      /** A filter naming one device: the edge must check the device is in the principal's registry. */
      requiresDeviceOf?: { deviceId: string; registryId: string };
    }
  | { ok: false; reason: string };

/**
 * Decisions are remembered per policy: a device publishes to the same few topics over and over, and
 * a policy is fixed for its connection (alias changes close it), so a decision never goes stale. A
 * registry reads the events of every device of the registry, so it remembers more topics (past
 * that, each message pays the decision again, as with no memo).
 */
const REMEMBERED = { device: 256, registry: 4096, broker: 256 } as const;

export class TopicPolicy {
  readonly #aliases: AliasTable;
  readonly #publishDecisions = new Map<string, PublishDecision>();
  readonly #readable = new Map<string, boolean>();
  /** Topics remembered per memo of this principal's connection (decisions here, routes in its session). */
  readonly remembered: number;

  constructor(readonly principal: Principal) {
    this.#aliases = AliasTable.for(principal);
    this.remembered = REMEMBERED[principal.kind];
  }

  authorizePublish(topic: string): PublishDecision {
    return remember(this.#publishDecisions, this.remembered, topic, (name) => this.#decidePublish(name));
  }

  #decidePublish(topic: string): PublishDecision {
    const syntax = topicNameError(topic);
    if (syntax) return { ok: false, reason: syntax };
    const principal = this.principal;
    if (principal.kind === 'broker') {
      if (topic.startsWith('$')) return { ok: false, reason: 'broker topics must not start with $' };
      return { ok: true, internalTopic: brokerInternal(principal.id, topic), exportTopic: topic, permanent: false };
    }
    const { canonical } = this.#aliases.resolve(principal, topic);
    const resolved = canonical === topic ? undefined : topicNameError(canonical);
    if (resolved) return { ok: false, reason: `topic "${topic}" resolves to ${resolved}` };
    const parts = parseCanonical(canonical);
    if (!parts?.kind || !KINDS.includes(parts.kind) || parts.root === 'monitoring') {
      return { ok: false, reason: `publish to topic "${topic}" not allowed` };
    }
    if (parts.rest.length > MAX_SUBTOPIC_LENGTH) return { ok: false, reason: SUBTOPIC_TOO_LONG };
    const allowedKinds = principal.kind === 'device' ? UPSTREAM : DOWNSTREAM;
    const denied = { ok: false as const, reason: `publish to topic "${topic}" not allowed` };
    if (!allowedKinds.has(parts.kind)) return denied;
    if (parts.root === 'registries' && parts.id !== principal.registry_id) return denied;
    if (parts.root === 'devices' && principal.kind === 'device' && parts.id !== principal.id) return denied;
    const decision: PublishDecision = {
      ok: true,
      internalTopic: toInternal(principal.registry_id, parts, canonical),
      exportTopic: canonical,
      permanent: isPermanent(parts),
    };
    if (parts.root === 'devices' && principal.kind === 'registry')
      decision.requiresDeviceOf = { deviceId: parts.id, registryId: principal.registry_id };
    return decision;
  }

  authorizeSubscribe(filter: string): SubscribeDecision {
    const syntax = topicFilterError(filter);
    if (syntax) return { ok: false, reason: syntax };
    const principal = this.principal;
    if (principal.kind === 'broker') {
      if (filter.startsWith('$')) return { ok: false, reason: 'broker topics must not start with $' };
      return {
        ok: true,
        internalFilter: brokerInternal(principal.id, filter),
        replayPermanent: false,
        toClient: (internal) => brokerExternal(principal.id, internal) ?? internal,
      };
    }
    const resolution = this.#aliases.resolve(principal, filter);
    if (resolution.canonical === filter && !filter.startsWith('$') && hasWildcard(filter) && this.#aliases.size > 0)
      return this.#overAliasNames(filter);
    const resolved = resolution.canonical === filter ? undefined : topicFilterError(resolution.canonical);
    if (resolved) return { ok: false, reason: `filter "${filter}" resolves to ${resolved}` };
    const canonical = narrowed(principal, resolution.canonical);
    const parts = parseCanonical(canonical);
    // Yandex's connection-log shape: the refused filters as a JSON list (one per SUBSCRIBE filter here).
    const denied = { ok: false as const, reason: `not allowed to subscribe: ${JSON.stringify([filter])}` };
    if (!parts || !this.#mayRead(parts, { filter: true })) return denied;
    if (parts.rest.length > MAX_SUBTOPIC_LENGTH) return { ok: false, reason: SUBTOPIC_TOO_LONG };
    const decision: SubscribeDecision = {
      ok: true,
      internalFilter: toInternal(principal.registry_id, parts, canonical),
      replayPermanent: !(resolution.viaAlias && hasWildcard(filter)),
      toClient: (internal) => resolution.toClient(toCanonical(internal) ?? internal),
    };
    // A device of another registry (or none) is invisible, and Yandex refuses a filter naming it.
    const namedDevice = parts.root !== 'registries' && !hasWildcard(parts.id) && parts.id !== principal.id;
    if (namedDevice) decision.requiresDeviceOf = { deviceId: parts.id, registryId: principal.registry_id };
    return decision;
  }

  /**
   * A wildcard filter that is neither canonical nor begins with a whole alias matches alias names
   * only (`#` alone: every alias, §3.7). All alias targets lie under `$devices/<device>/`: one
   * subscription under them, each message named by the alias it falls under and delivered only when
   * that name matches the filter (and mayReceive lets the principal read it). No stored values, as
   * for every wildcard through an alias. The internal filter's `+/#` keeps it apart from a
   * subscription to `$devices/<device>/#` itself (a session keys its subscriptions by it).
   */
  #overAliasNames(filter: string): SubscribeDecision {
    const { principal } = this;
    const device = principal.kind === 'device' ? principal.id : '+';
    return {
      ok: true,
      internalFilter: `${INTERNAL_ROOT}/${principal.registry_id}/devices/${device}/+/#`,
      replayPermanent: false,
      toClient: (internal) => {
        const canonical = toCanonical(internal);
        return canonical === undefined ? undefined : this.#aliases.aliasNameMatching(filter, canonical);
      },
    };
  }

  /** Delivery check: may this principal read the message published on `internalTopic`? */
  mayReceive(internalTopic: string): boolean {
    return remember(this.#readable, this.remembered, internalTopic, (topic) => this.#decideReceive(topic));
  }

  #decideReceive(internalTopic: string): boolean {
    if (this.principal.kind === 'broker') return brokerExternal(this.principal.id, internalTopic) !== undefined;
    const canonical = toCanonical(internalTopic);
    const parts = canonical ? parseCanonical(canonical) : undefined;
    return (
      parts !== undefined && internalTopic.startsWith(`$iot/${this.principal.registry_id}/`) && this.#mayRead(parts, { filter: false })
    );
  }

  /**
   * Read rules for a concrete topic or a filter. For filters a wildcard level passes when some
   * readable topic can match it (deliveries are re-checked by mayReceive), but filters too short
   * to name a topic kind (`$devices/+`, `$registries/R`) are refused as Yandex does.
   */
  #mayRead(parts: CanonicalParts, options: { filter: boolean }): boolean {
    const principal = this.principal;
    const wildcard = (level: string | undefined) => options.filter && (level === '+' || level === '#');
    if (parts.id === '#') return parts.kind === undefined; // `$devices/#`
    if (parts.kind === undefined) return false; // too short: `$devices/+`, `$devices/D`
    if (parts.root === 'monitoring') return (parts.kind === 'json' || wildcard(parts.kind)) && (parts.rest === '' || parts.rest === '#');
    if (!KINDS.includes(parts.kind) && !wildcard(parts.kind)) return false;
    const readable = principal.kind === 'device' ? DOWNSTREAM : UPSTREAM;
    if (!wildcard(parts.kind) && !readable.has(parts.kind)) return false;
    if (parts.root === 'registries') return parts.id === principal.registry_id || (wildcard(parts.id) && parts.id === '+');
    // $devices: a device reads only its own tree; a registry reads any of its devices (the internal
    // namespace already confines the filter to the registry).
    return principal.kind === 'registry' || parts.id === principal.id || (options.filter && parts.id === '+');
  }
}
