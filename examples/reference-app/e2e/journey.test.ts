import { describeJourney } from './journey.js';

// Segments and clips in local directories (the default).
describeJourney('local');
