// Builds the Prisma schema of a test app shaped like the seed's (semaphore-chat): its own `File`
// model and enums, plus the livekit-replay fragment with every model mapped to another table
// name (`@@map`), as an integrator whose database already has `EgressSession`/`ReplayClip`
// tables would write it. The tests generate a client from it (test/generated/, git-ignored).
import { readFileSync } from 'node:fs';

/** Table names the seed-like test app maps our models to. */
export const SEED_APP_TABLES = {
  EgressSession: 'replay_sessions',
  ReplayClip: 'replay_clips',
  CommunityReplayConfig: 'replay_community_configs',
  UserReplayQuota: 'replay_user_quotas',
  ReplayQuotaReservation: 'replay_quota_reservations',
};

const SEED_FILE_MODEL = `
/// The seed app's own File model (scalars only; its relations do not matter to these tests).
model File {
  id              String       @id @default(uuid())
  filename        String
  mimeType        String
  fileType        FileType
  size            Int
  checksum        String
  uploadedById    String?
  uploadedAt      DateTime     @default(now())
  deletedAt       DateTime?
  resourceType    ResourceType
  fileUserId      String?
  fileCommunityId String?
  fileMessageId   String?
  storageType     StorageType  @default(LOCAL)
  storagePath     String
  thumbnailPath   String?
}

enum FileType {
  IMAGE
  VIDEO
  AUDIO
  DOCUMENT
  OTHER
}

enum ResourceType {
  USER_AVATAR
  USER_BANNER
  COMMUNITY_BANNER
  COMMUNITY_AVATAR
  MESSAGE_ATTACHMENT
  CUSTOM_EMOJI
  REPLAY_CLIP
  SOUNDBOARD_SOUND
}

enum StorageType {
  LOCAL
  S3
  AZURE_BLOB
}
`;

/**
 * @param {string} fragmentFile prisma/schema.prisma (its fragment part is used)
 * @param {'postgresql' | 'sqlite'} provider
 * @param {string} output generator output, relative to the schema file
 */
export function seedAppSchema(fragmentFile, provider, output) {
  const text = readFileSync(fragmentFile, 'utf8');
  const fragment = text.slice(text.indexOf('// ---- livekit-replay fragment starts ----'));
  const mapped = fragment.replace(/^model (\w+) \{([\s\S]*?)^\}/gm, (_block, name, body) => {
    const table = SEED_APP_TABLES[name];
    if (!table) throw new Error(`seed-app schema: no table name for model ${name}`);
    return `model ${name} {${body}\n  @@map("${table}")\n}`;
  });
  return `generator client {
  provider            = "prisma-client"
  output              = "${output}"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "${provider}"
}
${SEED_FILE_MODEL}
${mapped}`;
}
