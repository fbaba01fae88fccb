export interface CommunityReplayConfig {
  communityId: string;
  enabled: boolean;
  /** Maximum live replay buffers in the community at once. */
  maxConcurrent: number;
}

export interface CommunityConfigStore {
  /** The community's configuration, or null when it never set one (defaults apply). */
  get(communityId: string): Promise<CommunityReplayConfig | null>;
  set(config: CommunityReplayConfig): Promise<CommunityReplayConfig>;
}
