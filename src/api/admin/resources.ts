/** The admin API's resources: which collection each `/v1/<name>` is, over which schema. */
import { z } from 'zod';
import { botSchema, inboundTrunkSchema, numberEntrySchema, outboundTrunkSchema, registrationSchema, transferDestinationSchema } from '../../config/index.js';
import { arrayCollection, numbersCollection, recordCollection, type Collection } from './collections.js';

const named = (schema: z.ZodType): z.ZodType => z.intersection(z.object({ name: z.string() }), schema);

export const COLLECTIONS: readonly Collection[] = [
  arrayCollection('inbound-trunks', 'inboundTrunks', () => inboundTrunkSchema.omit({ numbers: true }), ['numbers']),
  numbersCollection(() => z.intersection(z.object({ number: z.string(), trunk: z.string() }), numberEntrySchema)),
  recordCollection('bots', 'bots', () => named(botSchema), ['headers']),
  arrayCollection('outbound-trunks', 'outboundTrunks', () => outboundTrunkSchema),
  recordCollection('transfer-destinations', 'transferDestinations', () => named(transferDestinationSchema)),
  arrayCollection('registrations', 'registrations', () => registrationSchema),
];

export function collectionNamed(name: string): Collection | undefined {
  return COLLECTIONS.find((c) => c.name === name);
}
