// iotcore.logs.v1.LogService: reads the connection logs of a registry, device or broker (yc iot … logs).
import { LogServiceService, ReadLogsResponse, type LogServiceServer, type ReadLogsRequest } from '../../generated/iotcore/logs/v1/logs.js';
import { FieldError } from '../validation/field-error.js';
import { validateTime } from '../validation/resource-fields.js';
import type { ConnectionLogStore, LogPosition, LogQuery } from '../logs/log-store.js';
import type { Principal } from '../access/principal.js';
import type { ResourceContext } from '../resources/context.js';
import { ownerFolder } from './resource-folders.js';
import { unary, type HandlerContext } from './unary.js';

const MAX_PAGE = 1000;

export function logService(ctx: ResourceContext, logs: ConnectionLogStore, handler: HandlerContext) {
  const implementation: LogServiceServer = {
    read: unary(handler, 'LogService.Read', async (request, caller) => {
      const query = logQuery(request);
      await requireViewer(ctx, query.source, caller);
      // One more than asked tells whether there is a next page.
      const entries = await logs.read({ ...query, limit: query.limit + 1 });
      const page = entries.slice(0, query.limit);
      const last = page.at(-1);
      return ReadLogsResponse.fromPartial({
        entries: page,
        next_page_token: entries.length > query.limit && last ? encodePosition(last) : '',
      });
    }),
  };
  return { definition: LogServiceService, implementation };
}

/**
 * Reading a log takes iot.viewer on the folder of the registry, device or broker it belongs to. The
 * log of one that is gone stays readable until retention drops it, by bootstrap admins only.
 */
async function requireViewer(ctx: ResourceContext, source: LogQuery['source'], caller: Principal): Promise<void> {
  const folder =
    'registry_id' in source
      ? await ownerFolder(ctx, 'registry', source.registry_id)
      : 'broker_id' in source
        ? await ownerFolder(ctx, 'broker', source.broker_id)
        : await ownerFolder(ctx, 'device', source.device_id);
  if (folder === undefined) caller.requireBootstrapAdmin();
  else caller.require('iot.viewer', folder);
}

function logQuery(request: ReadLogsRequest): LogQuery {
  const source = request.source;
  if (!source?.value) throw new FieldError('source', 'one of registry_id, device_id, broker_id is required');
  validateTime('since', request.since);
  validateTime('until', request.until);
  if (!Number.isInteger(request.page_size) || request.page_size < 0 || request.page_size > MAX_PAGE)
    throw new FieldError('page_size', `must be between 0 and ${MAX_PAGE}`);
  return {
    source: { [source.$case]: source.value } as LogQuery['source'],
    since: request.since,
    until: request.until,
    levels: request.levels,
    events: request.events,
    device_ids: request.device_ids,
    after: request.page_token ? decodePosition(request.page_token) : undefined,
    limit: request.page_size || MAX_PAGE,
  };
}

function encodePosition(position: LogPosition): string {
  return Buffer.from(JSON.stringify([position.timestamp.getTime(), position.uid])).toString('base64url');
}

function decodePosition(token: string): LogPosition {
  try {
    const [time, uid] = JSON.parse(Buffer.from(token, 'base64url').toString()) as [unknown, unknown];
    if (typeof time === 'number' && typeof uid === 'string') return { timestamp: new Date(time), uid };
  } catch {
    // reported below
  }
  throw new FieldError('page_token', 'is not a token this API returned');
}
