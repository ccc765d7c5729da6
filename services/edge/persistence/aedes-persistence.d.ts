// aedes-persistence-level, aedes-persistence-mongodb and msgpack-lite (the encoding of
// aedes-persistence-level's values) ship no type declarations; these are the parts iotcore uses.
declare module 'aedes-persistence-level/asyncPersistence.js' {
  /** aedes' async persistence over an abstract-level database (keys utf8, values buffer). */
  export default class AsyncLevelPersistence {
    constructor(db: unknown);
  }
}

declare module 'aedes-persistence-mongodb' {
  /** aedes' persistence over MongoDB: a connected `Db` owned by the caller, or a URL (the stock set-up the benchmark baseline uses). */
  export default function mongoPersistence(options: { db: unknown; collectionPrefix?: string } | { url: string }): unknown;
}

declare module 'msgpack-lite' {
  const msgpack: { decode(buffer: Buffer): unknown };
  export default msgpack;
}
