// Every fuzz target, in the order `npm run fuzz` runs them.
import type { FuzzTarget } from './target.js';
import { mqttPacketsTarget } from './targets/mqtt-packets.js';
import { topicsTarget } from './targets/topics.js';
import { aliasesAndMeTarget } from './targets/aliases-and-me.js';
import { aclTarget } from './targets/acl.js';
import { apiRequestsTarget } from './targets/api-requests.js';

export const TARGETS: FuzzTarget[] = [mqttPacketsTarget, topicsTarget, aliasesAndMeTarget, aclTarget, apiRequestsTarget];
