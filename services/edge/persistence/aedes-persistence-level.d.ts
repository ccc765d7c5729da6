// aedes-persistence-level ships no type declarations; this is the part iotcore uses.
declare module 'aedes-persistence-level/asyncPersistence.js' {
  /** aedes' async persistence over an abstract-level database (keys utf8, values buffer). */
  export default class AsyncLevelPersistence {
    constructor(db: unknown);
  }
}
