import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ALL_ARCHITECTURES, APP_NAME_LENGTH, ARCHITECTURES, NAME_PATTERN } from '@skiff/bundle';

export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'stable, for programs (e.g. app-not-found)' }), message: Type.String({ description: 'one line for people' }) }),
}, { $id: 'ErrorReply', description: 'Every refusal: a stable code and a message for people' });

/** What each refusal status means, as the OpenAPI document says it. */
const ERROR_MEANING: Record<number, string> = {
  400: 'The request is malformed: a field, a channel, a bundle or a signature (the code says which)',
  401: 'No API token, or one the store does not know',
  403: 'The account may not do this (another publisher\'s app, a limit reached)',
  404: 'No such app, revision or open channel',
  408: 'The upload arrived too slowly and was cut',
  409: 'It exists already (name taken, key registered, bundle uploaded)',
  413: 'The body is larger than the store accepts',
  415: 'The body is not of the media type the route takes',
  429: 'Too many uploads of this account in flight',
  503: 'The store cannot vouch for what it serves (its timestamp expired)',
};

/** A named shared schema (components/schemas in the OpenAPI document), with the response's description beside it. */
export function ref<T extends TSchema>(schema: T, description: string) {
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id!}#`, description });
}

/** The error responses a route may give, by status. */
export function errors(...statuses: number[]): Record<number, ReturnType<typeof ref<typeof ErrorReply>>> {
  return Object.fromEntries(statuses.map((s) => [s, ref(ErrorReply, ERROR_MEANING[s] ?? 'Refused')]));
}

export const AppName = Type.String({ pattern: NAME_PATTERN, minLength: APP_NAME_LENGTH.min, maxLength: APP_NAME_LENGTH.max, description: 'app name' });
export const ChannelText = Type.String({ minLength: 1, maxLength: 80, description: 'TRACK/RISK, or RISK alone for the latest track', examples: ['stable', 'latest/beta', '2.0/edge'] });
export const Revision = Type.Integer({ minimum: 1, description: 'revision number, counted per app from 1' });
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256, 64 hex digits' });

export const ChannelMap = Type.Record(Type.String(), Type.Object({ revision: Revision, version: Type.String() }), {
  $id: 'ChannelMap', description: 'Open channels (TRACK/RISK) and the revision each holds, as signed in the TUF repository',
});

export const Architecture = Type.String({ description: `Debian's architecture name: ${ARCHITECTURES.join(', ')}` });
/** What a revision declares in meta/app.yaml: `all` (served to every architecture) or a list. */
export const DeclaredArchitectures = Type.Union([Type.Literal(ALL_ARCHITECTURES), Type.Array(Architecture)], { examples: ['all', ['amd64', 'arm64']] });
/** Architecture → channel → revision: the channel map a device of that architecture follows. */
const byArchitecture = <T extends Parameters<typeof Type.Record>[1]>(entry: T) => Type.Object(
  Object.fromEntries(ARCHITECTURES.map((a) => [a, Type.Optional(Type.Record(Type.String(), entry))])), { additionalProperties: false });
export const ArchitectureChannelMap = byArchitecture(Type.Object({ revision: Revision, version: Type.String() }));

export const PublisherKey = Type.Object({
  name: Type.String(), keyId: Sha256, publicKey: Type.String({ description: 'ed25519 public key, 64 hex digits' }), created: Type.String({ format: 'date-time' }),
}, { $id: 'PublisherKey', description: 'An ed25519 key whose signatures the store accepts on uploads of the account' });

export const AppInfo = Type.Object({
  name: Type.String(), publisher: Type.String(), summary: Type.String(), created: Type.String({ format: 'date-time' }),
  channels: Type.Record(Type.String(), Type.Object({ revision: Revision, version: Type.String(), released: Type.String({ format: 'date-time' }) }),
    { description: 'the channels whose revision every architecture shares' }),
  architectures: byArchitecture(Type.Object({ revision: Revision, version: Type.String(), released: Type.String({ format: 'date-time' }) })),
  revisions: Type.Array(Type.Object({
    revision: Revision, version: Type.String(), size: Type.Integer({ description: 'bytes' }), sha256: Sha256,
    architectures: DeclaredArchitectures, created: Type.String({ format: 'date-time' }),
  })),
}, { $id: 'AppInfo', description: 'An app: its publisher, open channels (shared and per architecture) and every revision uploaded' });

export const UploadReply = Type.Object({
  name: Type.String(), revision: Revision, version: Type.String(), sha256: Sha256, size: Type.Integer({ description: 'bytes' }),
  architectures: DeclaredArchitectures,
}, { $id: 'UploadReply', description: 'The revision an upload became' });

export const ReleaseReply = Type.Object({
  name: Type.String(), channel: Type.String(), revision: Type.Union([Revision, Type.Null()], { description: 'null when the channel was closed' }),
  released: Type.Array(Architecture, { description: 'the architectures whose channel this set (or closed)' }),
  channels: Type.Unsafe<Static<typeof ChannelMap>>({ $ref: 'ChannelMap#' }), architectures: ArchitectureChannelMap,
  metadata: Type.Object({
    files: Type.Array(Type.String()), bytes: Type.Integer(), snapshotVersion: Type.Integer(), timestampVersion: Type.Integer(),
  }, { description: 'The TUF metadata files the change re-signed' }),
}, { $id: 'ReleaseReply', description: 'The channel map after a release or a close, and the metadata re-signed for it' });

export const SearchReply = Type.Object({
  results: Type.Array(Type.Object({
    name: Type.String(), publisher: Type.String(), summary: Type.String(),
    version: Type.Optional(Type.String({ description: 'in latest/stable, if open' })), revision: Type.Optional(Revision),
  })),
}, { $id: 'SearchReply', description: 'Apps whose name or summary holds the query, by name' });

/** Every named schema, added to the app before the routes that refer to them. */
export const SHARED_SCHEMAS: readonly TSchema[] = [ErrorReply, ChannelMap, PublisherKey, AppInfo, UploadReply, ReleaseReply, SearchReply];
