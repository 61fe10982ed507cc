/*
 * qemuutil: helpers for struct iovec arrays (the subset the coroutine
 * socket helpers need; QEMU has its own, larger qemu/iov.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Offsets and byte counts address the concatenation of the buffers of an
 * iovec array.  None of these functions keeps state; all are thread-safe
 * as far as the buffers they touch are not shared.
 */
#ifndef QEMU_IOV_H
#define QEMU_IOV_H

#include <sys/uio.h>

/**
 * iov_from_buf_full:
 * @iov: destination array
 * @iovcnt: its length
 * @offset: where to start in @iov
 * @buf: source
 * @bytes: how much to copy
 *
 * Copies @buf into @iov from @offset on, stopping at the end of @iov.
 * Returns: the number of bytes copied.
 */
size_t iov_from_buf_full(const struct iovec *iov,
                         unsigned int iovcnt, size_t offset,
                         const void *buf, size_t bytes);

/**
 * iov_to_buf_full:
 * @iov: source array
 * @iovcnt: its length
 * @offset: where to start in @iov
 * @buf: destination
 * @bytes: how much to copy
 *
 * Returns: the number of bytes copied (less than @bytes at the end of
 * @iov).
 */
size_t iov_to_buf_full(const struct iovec *iov,
                       const unsigned int iovcnt, size_t offset,
                       void *buf, size_t bytes);

/**
 * iov_size:
 * @iov: the array
 * @iovcnt: its length
 *
 * Returns: the total length of the buffers.
 */
size_t iov_size(const struct iovec *iov, const unsigned int iovcnt);

/* iov_from_buf_full() with a fast path for a range inside @iov[0]. */
static inline size_t iov_from_buf(const struct iovec *iov,
                                  unsigned int iovcnt, size_t offset,
                                  const void *buf, size_t bytes)
{
    if (__builtin_constant_p(bytes) && iovcnt &&
        offset <= iov[0].iov_len && bytes <= iov[0].iov_len - offset) {
        memcpy((char *)iov[0].iov_base + offset, buf, bytes);
        return bytes;
    }
    return iov_from_buf_full(iov, iovcnt, offset, buf, bytes);
}

/* iov_to_buf_full() with a fast path for a range inside @iov[0]. */
static inline size_t iov_to_buf(const struct iovec *iov,
                                const unsigned int iovcnt, size_t offset,
                                void *buf, size_t bytes)
{
    if (__builtin_constant_p(bytes) && iovcnt &&
        offset <= iov[0].iov_len && bytes <= iov[0].iov_len - offset) {
        memcpy(buf, (char *)iov[0].iov_base + offset, bytes);
        return bytes;
    }
    return iov_to_buf_full(iov, iovcnt, offset, buf, bytes);
}

/**
 * iov_memset:
 * @iov: the array
 * @iovcnt: its length
 * @offset: where to start
 * @fillc: byte value
 * @bytes: how many bytes to set
 *
 * Returns: the number of bytes set.
 */
size_t iov_memset(const struct iovec *iov, const unsigned int iovcnt,
                  size_t offset, int fillc, size_t bytes);

/**
 * iov_copy:
 * @dst_iov: destination array
 * @dst_iov_cnt: its capacity
 * @iov: source array
 * @iovcnt: its length
 * @offset: start of the range in @iov
 * @bytes: length of the range
 *
 * Fills @dst_iov with entries describing the range (no data is copied).
 * Returns: the number of entries used.
 */
unsigned iov_copy(struct iovec *dst_iov, unsigned int dst_iov_cnt,
                  const struct iovec *iov, unsigned int iovcnt,
                  size_t offset, size_t bytes);

/**
 * iov_send_recv:
 * @fd: a socket
 * @iov: the buffers
 * @iovcnt: their number
 * @offset: bytes of @iov to skip
 * @bytes: bytes to send or receive; the range must lie within @iov
 * @sending: sendmsg() if true, recvmsg() if false
 *
 * Transfers as much of the range as the socket takes without blocking
 * (looping over partial transfers, retrying EINTR).
 * Returns: bytes transferred; 0 on end of file; -1 with errno set if the
 * first call failed (EAGAIN after some progress returns the progress).
 */
ssize_t iov_send_recv(int fd, const struct iovec *iov,
                      unsigned iovcnt, size_t offset, size_t bytes,
                      bool sending);
#define iov_send(...) iov_send_recv(__VA_ARGS__, true)
#define iov_recv(...) iov_send_recv(__VA_ARGS__, false)

#endif /* QEMU_IOV_H */
