export {
  Resampler,
  DESIGN_ATTENUATION_DB,
  PASSBAND_FRACTION,
  TELEPHONE_PASSBAND_HZ,
  TELEPHONE_STOPBAND_HZ,
  type ResamplerBand,
  type ResamplerFilterInfo,
  type ResamplerOptions,
} from './resampler.js';
export { designLowpass, magnitudeAt, kaiserBeta, type LowpassSpec } from './kaiser.js';
