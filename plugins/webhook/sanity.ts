/**
 * The earliest moment this release can truly run at. A clock reading earlier (a Raspberry Pi without
 * an RTC boots in 1970, or at the last fake-hwclock save, until NTP syncs) would sign deliveries with
 * timestamps receivers reject as stale: deliveries are held until the clock passes it.
 */
export const RELEASE_DATE = Date.parse('2025-12-01T00:00:00Z');
