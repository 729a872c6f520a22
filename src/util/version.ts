/** Skua's own version, and the Redis version whose behaviour it reproduces (clients check it). */
export const SKUA_VERSION = "0.1.0";
export const REDIS_VERSION = "7.0.15";
