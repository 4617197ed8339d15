import { Type, type TSchema } from '@sinclair/typebox';
import { BUNDLE_LIMITS } from './settings';
import { DAEMON_KINDS, HOOK_NAMES, INSTALL_MODES, REFRESH_MODES, RESTART_CONDITIONS } from './types';
import { ALL_ARCHITECTURES, ARCHITECTURES } from './architectures';
import { APP_NAME_LENGTH, DURATION_PATTERN, NAME_PATTERN, SIZE_PATTERN } from './patterns';

// Each schema carries `hint`: the reason printed when a value breaks it, in words a publisher reads.
const hinted = <T extends TSchema>(schema: T, hint: string): T => Object.assign(schema, { hint });

const name = (min: number, max: number) => hinted(
  Type.String({ pattern: NAME_PATTERN, minLength: min, maxLength: max }),
  `must be ${min}-${max} lowercase letters, digits and single dashes, starting and ending with a letter or digit`);

// Goes into the file name <name>_<version>.skiff, so no '/', '_' or spaces.
const version = hinted(Type.String({ pattern: '^[a-zA-Z0-9](?:[a-zA-Z0-9.+~:-]{0,30}[a-zA-Z0-9+~])?$' }),
  "must be a string of 1-32 letters, digits and . + ~ : - (quote numbers: version: '1.2')");

const plugList = hinted(Type.Array(name(1, 40), { uniqueItems: true }), 'must be a list of distinct plug names');

// A command is a path inside the bundle; '..' and absolute paths could reach the host.
const command = hinted(Type.String({ minLength: 1, maxLength: 4096, pattern: '^(?!/)(?!(?:.*/)?\\.\\.(?:/|$))[^\\s]+$' }),
  "must be a relative path inside the bundle, without '..' or spaces");

const oneOf = (values: readonly string[]) => hinted(Type.Optional(Type.Union(values.map((v) => Type.Literal(v)))),
  `must be one of ${values.join(', ')}`);

const duration = hinted(Type.Optional(Type.String({ pattern: DURATION_PATTERN })),
  'must be a duration like 500ms, 30s or 2m');

// A service's fields (docs/design.md, "Services"); they apply only with `daemon` (manifest-parse checks).
const app = Type.Object({
  command,
  daemon: oneOf(DAEMON_KINDS),
  'restart-condition': oneOf(RESTART_CONDITIONS),
  'restart-delay': duration,
  'stop-timeout': duration,
  'refresh-mode': oneOf(REFRESH_MODES),
  'install-mode': oneOf(INSTALL_MODES),
  'ready-timeout': duration,
  plugs: Type.Optional(plugList),
}, { additionalProperties: false });

// `check-health: {}` and `check-health:` (null) both declare a hook.
const hook = hinted(Type.Union([Type.Null(), Type.Object({ plugs: Type.Optional(plugList) }, { additionalProperties: false })]),
  'must be empty or a map with plugs');

const hooks = Type.Object(
  Object.fromEntries(HOOK_NAMES.map((h) => [h, Type.Optional(hook)])),
  { additionalProperties: false });


const resources = Type.Object({
  memory: hinted(Type.Optional(Type.String({ pattern: SIZE_PATTERN })), 'must be a size like 64M (K, M or G)'),
  pids: hinted(Type.Optional(Type.Integer({ minimum: 1, maximum: BUNDLE_LIMITS.maxPids })),
    `must be an integer from 1 to ${BUNDLE_LIMITS.maxPids}`),
  cpu: hinted(Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: BUNDLE_LIMITS.maxCpu })),
    `must be a number of CPUs above 0 and at most ${BUNDLE_LIMITS.maxCpu}, like 0.5`),
}, { additionalProperties: false });

// `all` (the default) or a list of Debian architecture names.
const architectures = hinted(Type.Union([
  Type.Literal(ALL_ARCHITECTURES),
  Type.Array(Type.Union(ARCHITECTURES.map((a) => Type.Literal(a))), { minItems: 1, uniqueItems: true }),
]), `must be ${ALL_ARCHITECTURES} or a list of distinct architectures from: ${ARCHITECTURES.join(', ')}`);

/** The schema of meta/app.yaml (docs/design.md, "The bundle format"). Unknown fields are refused: they are usually typos. */
export const ManifestSchema = Type.Object({
  name: name(APP_NAME_LENGTH.min, APP_NAME_LENGTH.max),
  version,
  summary: hinted(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\n]*$' }), 'must be one line of 1-128 characters'),
  description: hinted(Type.Optional(Type.String({ maxLength: 4096 })), 'must be text of at most 4096 characters'),
  apps: hinted(Type.Record(Type.String({ pattern: NAME_PATTERN, maxLength: 40 }), app, { minProperties: 1, additionalProperties: false }),
    'must map app names (lowercase letters, digits, single dashes) to apps, at least one'),
  hooks: Type.Optional(hooks),
  plugs: Type.Optional(plugList),
  resources: Type.Optional(resources),
  architectures: Type.Optional(architectures),
}, { additionalProperties: false });

