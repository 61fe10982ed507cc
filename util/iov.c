/*
 * qemuutil: struct iovec helpers (standalone support; QEMU has its own
 * util/iov.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <sys/socket.h>
#include "qemu/iov.h"

size_t iov_size(const struct iovec *iov, const unsigned int iov_cnt)
{
    size_t total = 0;
    unsigned int i;

    for (i = 0; i < iov_cnt; i++) {
        total += iov[i].iov_len;
    }
    return total;
}

/*
 * Walks the range [@offset, @offset + @bytes) of @iov, calling @fn on each
 * piece.  Returns how many bytes the range had inside @iov.
 */
static size_t iov_walk(const struct iovec *iov, unsigned int iov_cnt,
                       size_t offset, size_t bytes,
                       void (*fn)(void *piece, size_t len, size_t done,
                                  void *opaque),
                       void *opaque)
{
    size_t done = 0;
    unsigned int i;

    for (i = 0; i < iov_cnt && done < bytes; i++) {
        size_t len = iov[i].iov_len;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes - done);
        fn((char *)iov[i].iov_base + offset, len, done, opaque);
        done += len;
        offset = 0;
    }
    return done;
}

static void piece_from_buf(void *piece, size_t len, size_t done, void *buf)
{
    memcpy(piece, (const char *)buf + done, len);
}

static void piece_to_buf(void *piece, size_t len, size_t done, void *buf)
{
    memcpy((char *)buf + done, piece, len);
}

static void piece_fill(void *piece, size_t len, size_t done, void *fillc)
{
    memset(piece, *(int *)fillc, len);
}

size_t iov_from_buf_full(const struct iovec *iov, unsigned int iov_cnt,
                         size_t offset, const void *buf, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, piece_from_buf,
                    (void *)buf);
}

size_t iov_to_buf_full(const struct iovec *iov, const unsigned int iov_cnt,
                       size_t offset, void *buf, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, piece_to_buf, buf);
}

size_t iov_memset(const struct iovec *iov, const unsigned int iov_cnt,
                  size_t offset, int fillc, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, piece_fill, &fillc);
}

unsigned iov_copy(struct iovec *dst_iov, unsigned int dst_iov_cnt,
                  const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, size_t bytes)
{
    /* Entries filled in @dst_iov so far. */
    unsigned int used = 0;
    unsigned int i;

    for (i = 0; i < iov_cnt && used < dst_iov_cnt && bytes > 0; i++) {
        size_t len = iov[i].iov_len;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes);
        dst_iov[used].iov_base = (char *)iov[i].iov_base + offset;
        dst_iov[used].iov_len = len;
        used++;
        bytes -= len;
        offset = 0;
    }
    assert(bytes == 0 || used == dst_iov_cnt);
    return used;
}

ssize_t iov_send_recv(int sockfd, const struct iovec *iov, unsigned iov_cnt,
                      size_t offset, size_t bytes, bool do_send)
{
    g_autofree struct iovec *window = NULL;
    unsigned int n, first = 0;
    size_t total = 0;

    if (bytes == 0) {
        return 0;
    }
    /* A private array for the range, trimmed as data moves. */
    window = g_new(struct iovec, iov_cnt);
    n = iov_copy(window, iov_cnt, iov, iov_cnt, offset, bytes);
    assert(iov_size(window, n) == bytes);

    while (first < n) {
        struct msghdr msg = {
            .msg_iov = window + first,
            .msg_iovlen = n - first,
        };
        ssize_t ret;
        size_t left;

        do {
            ret = do_send ? sendmsg(sockfd, &msg, 0)
                          : recvmsg(sockfd, &msg, 0);
        } while (ret < 0 && errno == EINTR);

        if (ret < 0) {
            if (errno == EAGAIN && total > 0) {
                break;
            }
            return -1;
        }
        if (ret == 0 && !do_send) {
            break;          /* orderly shutdown by the peer */
        }
        total += ret;
        /* Drop what has been transferred from the front of the window. */
        left = ret;
        while (first < n && left >= window[first].iov_len) {
            left -= window[first].iov_len;
            first++;
        }
        if (left) {
            window[first].iov_base = (char *)window[first].iov_base + left;
            window[first].iov_len -= left;
        }
    }
    return total;
}
