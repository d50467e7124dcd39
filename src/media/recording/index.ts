/** Recording formats as pure functions: WAV headers, Ogg pages with Opus headers, the stereo time line. */
export { wavHeader, pcmBytesLE, WAV_HEADER_BYTES, WAV_MAX_DATA_BYTES } from './wav.js';
export { oggCrc32, oggPage, opusHead, opusTags, lacingCount, OGG_BOS, OGG_EOS, OGG_MAX_PAGE_PAYLOAD, type OggPageInput } from './ogg.js';
export { StereoTimeline, LEFT, RIGHT, type Side, type StereoTimelineOptions } from './stereo-timeline.js';
export { OggOpusStream, OPUS_RATES } from './ogg-opus.js';
