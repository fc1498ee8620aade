/**
 * The method names a client may call, as the reference server exports
 * them: only `register` until registration succeeded, then every name of
 * `registered_methods` (so a second `register` closes the connection).
 */

/** Callable before registration. */
export const UNREGISTERED_METHODS: ReadonlySet<string> = new Set(['register']);

/** Callable after registration (Python's `registered_methods`). */
export const REGISTERED_METHODS: ReadonlySet<string> = new Set([
  'get_info', 'lastTransaction', 'getInvalidations', 'new_oids', 'pack', 'loadBefore', 'storea',
  'checkCurrentSerialInTransaction', 'restorea', 'storeBlobStart', 'storeBlobChunk', 'storeBlobEnd',
  'storeBlobShared', 'deleteObject', 'tpc_begin', 'vote', 'tpc_finish', 'tpc_abort', 'history',
  'record_iternext', 'sendBlob', 'getTid', 'loadSerial', 'new_oid', 'undoa', 'undoLog', 'undoInfo',
  'iterator_start', 'iterator_next', 'iterator_record_start', 'iterator_record_next', 'iterator_gc',
  'server_status', 'set_client_label', 'ping',
]);

/**
 * Exported by the reference server but not implemented here (no undo,
 * iteration, blobs, restore or external GC in our storages); a call gets a
 * `NotImplementedError` reply, or closes the connection if one-way.
 */
export const UNIMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  'restorea', 'storeBlobStart', 'storeBlobChunk', 'storeBlobEnd', 'storeBlobShared', 'deleteObject',
  'record_iternext', 'sendBlob', 'undoa', 'iterator_start', 'iterator_next', 'iterator_record_start',
  'iterator_record_next',
]);
