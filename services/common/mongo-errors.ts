// MongoDB's server error for a write that would duplicate a unique key (an `_id` taken), which the
// stores use as an atomic "already exists" on every MongoDB-compatible server, FerretDB included.
import { MongoServerError } from 'mongodb';

export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
