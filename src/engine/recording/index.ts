/** A call's recording in the engine: the recorder (taps -> time line -> encoder -> file), its file and settings. */
export { CallRecorder, FLUSH_MS, recordingsSettled, type CallRecorderDeps } from './call-recorder.js';
export { RecordingFile, RecordingFileError, nodeRecordingFs, DEFAULT_MAX_QUEUED_BYTES, type RecordingFs, type RecordingHandle, type RecordingFailure } from './recording-file.js';
export { recordingPath, type RecordingSettings, type RecordingFormat, type RecordingEvent, type RecordingReady, type RecordingFailed, type PausedSpan, type RecordingAction, type RecordingState } from './settings.js';
export { GroupRecording, type RecordedLeg, type GroupRecordingDeps } from './group-recording.js';
export { findRecording, RetentionSweeper, RETENTION_SWEEP_MS } from './recording-files.js';
