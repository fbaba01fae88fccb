import { describeJourney } from './journey.js';

// REPLAY_STORAGE=s3: the emulator refuses local outputs (as LiveKit Cloud) and uploads to a local
// S3 server; the app reads segments and keeps clips in that bucket.
describeJourney('s3');
