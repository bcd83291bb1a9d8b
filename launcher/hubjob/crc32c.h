/* crc32c.h - CRC-32C (Castagnoli), the checksum of checkpoint tensors.
 *
 * Uses the SSE4.2 crc32 instruction on three interleaved streams when the
 * CPU has it (checked once at run time), else a byte-wise table. Both give
 * the same values; crc32c(0, "123456789", 9) == 0xe3069283.
 */
#ifndef HUBJOB_CRC32C_H
#define HUBJOB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over len bytes of buf; returns the new CRC, so
 * that crc32c(crc32c(0, a, n), b, m) is the CRC of a followed by b.
 * Thread-safe. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The table-driven version (for tests that compare the two). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif /* HUBJOB_CRC32C_H */
