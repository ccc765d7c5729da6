-- For FerretDB v1 on PostgreSQL: makes the indexes iotcore asks for serve FerretDB's lookups.
--
-- FerretDB v1 turns each index a client creates into a B-tree on the field's expression, e.g.
-- ((_jsonb -> 'registry_id')), but pushes an equality down as (_jsonb -> 'registry_id') @> '"…"',
-- an operator a B-tree cannot answer: PostgreSQL scans the whole table for every lookup, `_id`
-- included, and the registry slows down as the fleet grows. This event trigger gives every such
-- index a GIN companion on each of its expressions (jsonb_path_ops answers @>), so those
-- lookups become index scans. Run it once in FerretDB's PostgreSQL database as a superuser (event
-- triggers need one), before or after iotcore creates its collections (existing indexes get their
-- companions at the end), e.g. `psql --set ON_ERROR_STOP=1 --file postgresql-lookup-indexes.sql URL`.
-- A companion outlives a dropped index: it still answers the same lookups, at the cost of its writes.
-- MongoDB itself needs none of this.

CREATE OR REPLACE FUNCTION iotcore_gin_companions(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  target regclass;
  columns int;
  expression text;
  companion text;
BEGIN
  SELECT i.indrelid, i.indnatts INTO target, columns
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
  WHERE i.indexrelid = index_oid AND am.amname = 'btree';
  IF target IS NULL THEN
    RETURN; -- not a B-tree (a companion itself, or not FerretDB's)
  END IF;
  FOR k IN 1..columns LOOP
    expression := pg_get_indexdef(index_oid, k, false);
    CONTINUE WHEN expression !~ '^\(*_jsonb ';
    companion := left(md5(target::text || expression), 20) || '_gin';
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((%s) jsonb_path_ops)', companion, target, expression);
  END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION iotcore_gin_companions_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    PERFORM iotcore_gin_companions(command.objid);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS iotcore_gin_companions;
CREATE EVENT TRIGGER iotcore_gin_companions ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION iotcore_gin_companions_on_create();

-- Indexes created before this script ran.
SELECT iotcore_gin_companions(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
