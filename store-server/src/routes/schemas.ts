import { Type } from '@sinclair/typebox';
import { ALL_ARCHITECTURES, APP_NAME_LENGTH, ARCHITECTURES, NAME_PATTERN } from '@skiff/bundle';

export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
}, { $id: 'ErrorReply', description: 'Every refusal: a stable code and a message for people' });

/** The error responses a route may give, by status. */
export function errors(...statuses: number[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorReply]));
}

export const AppName = Type.String({ pattern: NAME_PATTERN, minLength: APP_NAME_LENGTH.min, maxLength: APP_NAME_LENGTH.max, description: 'app name' });
export const ChannelText = Type.String({ minLength: 1, maxLength: 80, description: 'TRACK/RISK, or RISK alone for the latest track', examples: ['stable', 'latest/beta', '2.0/edge'] });
export const Revision = Type.Integer({ minimum: 1 });
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const ChannelMap = Type.Record(Type.String(), Type.Object({ revision: Revision, version: Type.String() }));

export const Architecture = Type.String({ description: `Debian's architecture name: ${ARCHITECTURES.join(', ')}` });
/** What a revision declares in meta/app.yaml: `all` (served to every architecture) or a list. */
export const DeclaredArchitectures = Type.Union([Type.Literal(ALL_ARCHITECTURES), Type.Array(Architecture)], { examples: ['all', ['amd64', 'arm64']] });
/** Architecture → channel → revision: the channel map a device of that architecture follows. */
const byArchitecture = <T extends Parameters<typeof Type.Record>[1]>(entry: T) => Type.Object(
  Object.fromEntries(ARCHITECTURES.map((a) => [a, Type.Optional(Type.Record(Type.String(), entry))])), { additionalProperties: false });
export const ArchitectureChannelMap = byArchitecture(Type.Object({ revision: Revision, version: Type.String() }));

export const PublisherKey = Type.Object({
  name: Type.String(), keyId: Sha256, publicKey: Type.String(), created: Type.String(),
});

export const AppInfo = Type.Object({
  name: Type.String(), publisher: Type.String(), summary: Type.String(), created: Type.String(),
  channels: Type.Record(Type.String(), Type.Object({ revision: Revision, version: Type.String(), released: Type.String() }),
    { description: 'the channels whose revision every architecture shares' }),
  architectures: byArchitecture(Type.Object({ revision: Revision, version: Type.String(), released: Type.String() })),
  revisions: Type.Array(Type.Object({
    revision: Revision, version: Type.String(), size: Type.Integer(), sha256: Sha256, architectures: DeclaredArchitectures, created: Type.String(),
  })),
});

export const UploadReply = Type.Object({
  name: Type.String(), revision: Revision, version: Type.String(), sha256: Sha256, size: Type.Integer(), architectures: DeclaredArchitectures,
});

export const ReleaseReply = Type.Object({
  name: Type.String(), channel: Type.String(), revision: Type.Union([Revision, Type.Null()]),
  released: Type.Array(Architecture, { description: 'the architectures whose channel this set (or closed)' }),
  channels: ChannelMap, architectures: ArchitectureChannelMap,
  metadata: Type.Object({
    files: Type.Array(Type.String()), bytes: Type.Integer(), snapshotVersion: Type.Integer(), timestampVersion: Type.Integer(),
  }),
});

export const SearchReply = Type.Object({
  results: Type.Array(Type.Object({
    name: Type.String(), publisher: Type.String(), summary: Type.String(),
    version: Type.Optional(Type.String()), revision: Type.Optional(Revision),
  })),
});

