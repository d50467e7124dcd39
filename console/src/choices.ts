// Choices the forms offer that mirror the bridge's own tables (a unit test keeps them equal).

/** The wire protocols a bot may speak (config's BOT_PROTOCOLS). */
export const BOT_PROTOCOLS: readonly string[] = ['native', 'twilio', 'telnyx', 'plivo', 'exotel', 'vonage', 'jambonz'];
