export { Resampler, DESIGN_ATTENUATION_DB, PASSBAND_FRACTION, type ResamplerFilterInfo } from './resampler.js';
export { designLowpass, magnitudeAt, kaiserBeta, type LowpassSpec } from './kaiser.js';
