/**
 * The storage sections (anything implementing ZODB's abstract
 * `ZODB.storage` type): `<filestorage>`, `<mappingstorage>`,
 * `<demostorage>`, `<blobstorage>` and the ZEO client sections.
 */
import type { SourceLocation } from './config-tree.js';
import { boolean, byteSize, existingDirpath, string } from './datatypes.js';
import { ConfigSchemaError } from './errors.js';
import type { ClientStorageConfig, ZeoClientStorageConfig, ZkZeoClientStorageConfig } from './client-storage-schema.js';
import { clientStorageType, zeoClientType, zkZeoClientType } from './client-storage-schema.js';
import type { SectionType } from './section-matcher.js';
import { describeSection, key, matchSection, slot } from './section-matcher.js';

/** `<filestorage>` (ZODB): a `Data.fs` file. */
export interface FileStorageConfig {
  /** Discriminant: the section type. */
  readonly type: 'filestorage';
  /** The section name (lower-cased), if any; on a server, the storage name. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `path` (existing-dirpath, required): the data file; companion files derive from it. */
  readonly path: string;
  /** `blob-dir` (existing-dirpath): blob directory, created if missing; enables blobs. */
  readonly blobDir: string | undefined;
  /** `create`: truncate or create the file when opening. @defaultValue `false` */
  readonly create: boolean;
  /** `read-only`: open read-only (packing is still allowed). @defaultValue `false` */
  readonly readOnly: boolean;
  /** `quota` (byte-size): maximum file size in bytes; unlimited when absent. */
  readonly quotaBytes: number | undefined;
  /** `packer`: a Python pack implementation; accepted and ignored. */
  readonly packer: string | undefined;
  /** `pack-gc`: garbage-collect while packing. @defaultValue `true` */
  readonly packGc: boolean;
  /** `pack-keep-old`: keep `Data.fs.old` after packing. @defaultValue `true` */
  readonly packKeepOld: boolean;
}

/** `<mappingstorage>` (ZODB): an in-memory storage. */
export interface MappingStorageConfig {
  /** Discriminant: the section type. */
  readonly type: 'mappingstorage';
  /** The section name (lower-cased), if any; on a server, the storage name. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `name`: the storage's own name (`getName()`). @defaultValue `'Mapping Storage'` */
  readonly name: string;
}

/** `<demostorage>` (ZODB): changes kept apart from a base storage. */
export interface DemoStorageConfig {
  /** Discriminant: the section type. */
  readonly type: 'demostorage';
  /** The section name (lower-cased), if any. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `name`: the storage's own name; derived from the parts when absent. */
  readonly name: string | undefined;
  /** The nested storage not named `changes`, if any (an in-memory one is used otherwise). */
  readonly base: StorageConfig | undefined;
  /** The nested storage named `changes`, if any (an in-memory one is used otherwise). */
  readonly changes: StorageConfig | undefined;
}

/** `<blobstorage>` (ZODB): adds blob support to another storage. */
export interface BlobStorageConfig {
  /** Discriminant: the section type. */
  readonly type: 'blobstorage';
  /** The section name (lower-cased), if any. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `blob-dir` (required): the blob directory. */
  readonly blobDir: string;
  /** The wrapped storage. */
  readonly base: StorageConfig;
}

/** Any storage section, told apart by `type`. */
export type StorageConfig =
  | FileStorageConfig
  | MappingStorageConfig
  | DemoStorageConfig
  | BlobStorageConfig
  | ZeoClientStorageConfig
  | ClientStorageConfig
  | ZkZeoClientStorageConfig;

const FILESTORAGE_SPEC = {
  keys: {
    path: key(existingDirpath, { required: true }),
    'blob-dir': key(existingDirpath),
    create: key(boolean, { default: 'false' }),
    'read-only': key(boolean, { default: 'false' }),
    quota: key(byteSize),
    packer: key(string, { unsupported: 'it names a Python pack implementation, which zkzeo cannot load' }),
    'pack-gc': key(boolean, { default: 'true' }),
    'pack-keep-old': key(boolean, { default: 'true' }),
  },
  slots: {},
} as const;

const fileStorageType: SectionType<FileStorageConfig> = {
  name: 'filestorage',
  packageName: 'ZODB',
  build(section, context) {
    const { values } = matchSection(section, FILESTORAGE_SPEC, context);
    return {
      type: 'filestorage',
      sectionName: section.name,
      location: section.location,
      path: values.path,
      // ZODB treats an empty blob-dir as no blob support.
      blobDir: values['blob-dir'] === '' ? undefined : values['blob-dir'],
      create: values.create,
      readOnly: values['read-only'],
      quotaBytes: values.quota,
      packer: values.packer,
      packGc: values['pack-gc'],
      packKeepOld: values['pack-keep-old'],
    };
  },
};

const MAPPINGSTORAGE_SPEC = { keys: { name: key(string, { default: 'Mapping Storage' }) }, slots: {} } as const;

const mappingStorageType: SectionType<MappingStorageConfig> = {
  name: 'mappingstorage',
  packageName: 'ZODB',
  build(section, context) {
    const { values } = matchSection(section, MAPPINGSTORAGE_SPEC, context);
    return { type: 'mappingstorage', sectionName: section.name, location: section.location, name: values.name };
  },
};

const demoStorageType: SectionType<DemoStorageConfig> = {
  name: 'demostorage',
  packageName: 'ZODB',
  build(section, context) {
    const spec = { keys: { name: key(string) }, slots: { storages: storageSlot() } } as const;
    const { values, slots } = matchSection(section, spec, context);
    let base: StorageConfig | undefined;
    let changes: StorageConfig | undefined;
    for (const storage of slots.storages) {
      if (storage.sectionName === 'changes') {
        changes = storage;
      } else if (base === undefined) {
        base = storage;
      } else {
        throw new ConfigSchemaError(
          `too many base storages in ${describeSection(section)}: only one storage besides the one named 'changes' is allowed`,
          storage.location,
        );
      }
    }
    return { type: 'demostorage', sectionName: section.name, location: section.location, name: values.name, base, changes };
  },
};

const blobStorageType: SectionType<BlobStorageConfig> = {
  name: 'blobstorage',
  packageName: 'ZODB',
  build(section, context) {
    const spec = { keys: { 'blob-dir': key(string, { required: true }) }, slots: { base: storageSlot({ min: 1, max: 1 }) } } as const;
    const { values, slots } = matchSection(section, spec, context);
    const [base] = slots.base;
    // The slot's minimum of one makes this unreachable; it narrows the type.
    if (base === undefined) throw new ConfigSchemaError(`missing storage in ${describeSection(section)}`, section.location);
    return { type: 'blobstorage', sectionName: section.name, location: section.location, blobDir: values['blob-dir'], base };
  },
};

/** Every storage section type, by name. */
const STORAGE_TYPES = {
  filestorage: fileStorageType,
  mappingstorage: mappingStorageType,
  demostorage: demoStorageType,
  blobstorage: blobStorageType,
  zeoclient: zeoClientType,
  clientstorage: clientStorageType,
  zkzeoclient: zkZeoClientType,
} as const;

/** A slot accepting any storage section (ZConfig's abstract `ZODB.storage`). */
export function storageSlot(options: { readonly min?: number; readonly max?: number } = {}) {
  return slot(STORAGE_TYPES, { ...options, label: 'storage section' });
}
